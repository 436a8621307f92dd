package io.lvsd.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.lvsd.keepalived.KeepalivedImport;
import io.lvsd.keepalived.KeepalivedInputs;
import io.lvsd.keepalived.KeepalivedReader;
import io.lvsd.keepalived.KeepalivedSyntaxException;
import io.lvsd.testkit.Fuzz;
import org.junit.jupiter.api.Test;

/**
 * Whatever keepalived file the import reads, what it writes is HOCON: Typesafe Config parses every output of the
 * keepalived-import property inputs (mutated corpus, word soups, noise), so quoting never breaks a file.
 */
class ImportedHoconPropertyTest {
    @Test
    void everyImportParsesAsHocon() throws Exception {
        Fuzz.forAll(KeepalivedInputs.any(), input -> {
            KeepalivedImport.Result r;
            try {
                r = KeepalivedImport.convert(KeepalivedReader.read(KeepalivedInputs.memory(input),
                        KeepalivedInputs.MAIN, "lvs1"), "keepalived.conf");
            } catch (KeepalivedSyntaxException e) {
                return;
            }
            assertThat(ConfigFactory.parseString(r.hocon()).root()).isNotNull();
        });
    }
}
