package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docs/migration.md's keyword table names every keyword the import knows, converted or not. */
class MigrationGuideTest {
    @Test
    void theKeywordTableNamesEveryKeywordTheImportKnows() throws Exception {
        Path guide = Path.of("../docs/migration.md");
        assertThat(guide).exists();
        String text = Files.readString(guide);
        String table = text.substring(text.indexOf("## Keyword table"));
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : KeepalivedImport.vocabulary().entrySet()) {
            for (String k : e.getValue()) {
                if (!table.contains("`" + k + "`")) {
                    missing.add(e.getKey() + ": " + k);
                }
            }
        }
        assertThat(missing).isEmpty();
    }
}
