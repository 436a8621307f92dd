package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corpus: keepalived configurations written for the suite, covering every keyword the import converts. Each
 * imports to its reviewed output (expected/NAME.lvsd.conf) byte for byte, twice. After a deliberate change,
 * {@code -Dlvsd.golden.update=true} rewrites the expected files in the source tree for review in the diff.
 */
class CorpusTest {
    /** The corpus files, as resource names. */
    static List<String> corpus() throws Exception {
        try (Stream<Path> s = Files.list(corpusDir())) {
            return s.filter(p -> p.toString().endsWith(".conf")).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static Path corpusDir() throws URISyntaxException {
        return Path.of(CorpusTest.class.getResource("corpus").toURI());
    }

    /** The config id the corpus is imported with. */
    static final String ID = "lvs1";

    static KeepalivedImport.Result importOf(String name) throws Exception {
        Path f = corpusDir().resolve(name);
        return KeepalivedImport.convert(KeepalivedReader.read(f, ID), name);
    }

    @org.junit.jupiter.api.Test
    void thePropertyTestsSeedFromTheWholeCorpus() throws Exception {
        assertThat(KeepalivedInputs.CORPUS).isEqualTo(corpus());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void importsToItsReviewedOutputTwice(String name) throws Exception {
        String first = importOf(name).hocon();
        assertThat(importOf(name).hocon()).isEqualTo(first);
        String expectedName = name.replace(".conf", ".lvsd.conf");
        if (Boolean.getBoolean("lvsd.golden.update")) {
            Path src = Path.of("src/test/resources/io/lvsd/keepalived/expected").resolve(expectedName);
            Files.writeString(src, first, StandardCharsets.UTF_8);
        }
        String expected = new String(CorpusTest.class.getResourceAsStream("expected/" + expectedName).readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(first).isEqualTo(expected);
    }
}
