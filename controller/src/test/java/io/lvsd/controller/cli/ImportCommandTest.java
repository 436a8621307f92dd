package io.lvsd.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.TestConfigs;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code lvsd import keepalived}, run in-process on the keepalived-import corpus: every file's output passes
 * {@code lvsd check-config} unchanged, the exit code says whether anything was left to do, and bad input is
 * reported by file:line with nothing written.
 */
class ImportCommandTest {
    @TempDir
    static Path corpus;

    @TempDir
    Path dir;

    /** The corpus from keepalived-import's test-jar (a directory or a jar), copied with its conf.d. */
    @BeforeAll
    static void copyCorpus() throws Exception {
        URI uri = io.lvsd.keepalived.KeepalivedImport.class.getClassLoader()
                .getResource("io/lvsd/keepalived/corpus/nat-http.conf").toURI();
        FileSystem zip = null;
        if (uri.getScheme().equals("jar")) {
            try {
                zip = FileSystems.getFileSystem(uri);
            } catch (FileSystemNotFoundException e) {
                zip = FileSystems.newFileSystem(uri, Map.of());
            }
        }
        Path src = Path.of(uri).getParent();
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path to = corpus.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        } finally {
            if (zip != null) {
                zip.close();
            }
        }
    }

    static List<String> corpusFiles() throws IOException {
        try (Stream<Path> s = Files.list(corpus)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf")).sorted().toList();
        }
    }

    /** Corpus files with something lvsd cannot take over; each says so in a TODO and exits 1. */
    private static final Map<String, Integer> TODOS = Map.of("nat-http.conf", 1, "messy.conf", 2, "unconverted.conf", 21,
            "strict.conf", 1);

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpusFiles")
    void theOutputPassesCheckConfigUnchanged(String name) {
        Path out = dir.resolve("lvsd.conf");
        CliTest.Run r = TestConfigs.asPackaged(() -> CliTest.lvsd("import", "keepalived", "-i", "lvs1",
                "-f", corpus.resolve(name).toString(), "-o", out.toString()));
        int todos = TODOS.getOrDefault(name, 0);
        assertThat(r.err()).doesNotContain("check-config:");
        assertThat(r.err().lines().filter(l -> l.contains(": todo: "))).hasSize(todos);
        assertThat(r.code()).as(r.err()).isEqualTo(todos == 0 ? 0 : Main.EXIT_FAILURE);
        assertThat(r.out()).isEmpty();
        CliTest.Run check = TestConfigs.asPackaged(() -> CliTest.lvsd("check-config", "-q", "-f", out.toString()));
        assertThat(check.code()).as(check.err()).isZero();
    }

    @Test
    void withoutOutputFileTheConfigurationGoesToStandardOutput() {
        CliTest.Run r = TestConfigs.asPackaged(() -> CliTest.lvsd("import", "keepalived", "-f",
                corpus.resolve("dr-tcp-fwmark.conf").toString()));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("# lvsd configuration imported from keepalived").contains("name = lvs-dr-1");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aSyntaxErrorNamesFileAndLineAndWritesNothing() throws IOException {
        Path in = dir.resolve("keepalived.conf");
        Files.writeString(in, "global_defs {\n  router_id a\n}\n}\n");
        Path out = dir.resolve("lvsd.conf");
        CliTest.Run r = CliTest.lvsd("import", "keepalived", "-f", in.toString(), "-o", out.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err().lines().toList()).containsExactly("keepalived.conf:4: extra '}' (no block is open here)",
                "nothing written: " + in + " cannot be read as keepalived reads it");
        assertThat(out).doesNotExist();
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aMissingInputFileIsOneSentence() {
        CliTest.Run r = CliTest.lvsd("import", "keepalived", "-f", dir.resolve("nope.conf").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err().strip()).isEqualTo("lvsd import keepalived: " + dir.resolve("nope.conf") + ": no such file");
    }

    @Test
    void badUsageExitsTwo() {
        assertThat(CliTest.lvsd("import", "keepalived", "--frobnicate").code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(CliTest.lvsd("import").code()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void theReportIsATableOfKeywords() {
        CliTest.Run r = CliTest.lvsd("import", "keepalived", "--report", "-i", "lvs1", "-f",
                corpus.resolve("nat-http.conf").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).matches("context +keyword +count +became");
        assertThat(lines).anyMatch(l -> l.matches("vrrp_instance +priority +1 +vrrp\\.instances\\.\\*\\.priority"));
        assertThat(lines).anyMatch(l -> l.matches("vrrp_instance +virtual_ipaddress_excluded +1 +not converted"));
        assertThat(lines).anyMatch(l -> l.matches("HTTP_GET +url +2 +check\\.http"));
    }

    @Test
    void aProblemCheckConfigFindsInTheOutputIsReported() throws IOException {
        // A script check whose user does not exist on this host: the import says what check-config would.
        Path in = dir.resolve("keepalived.conf");
        Files.writeString(in, "global_defs {\n  script_user no-such-user-here\n}\nvirtual_server 10.0.0.1 80 {\n"
                + "  protocol TCP\n  real_server 10.0.1.1 80 {\n    MISC_CHECK {\n      misc_path /bin/true\n    }\n  }\n}\n");
        CliTest.Run r = CliTest.lvsd("import", "keepalived", "-f", in.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).contains("check-config: <output>:9: scripts.user: \"no-such-user-here\" does not exist",
                "1 problem that lvsd check-config reports in the output (above)");
    }
}
