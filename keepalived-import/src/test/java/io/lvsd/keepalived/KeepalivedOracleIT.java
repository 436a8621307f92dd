package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keepalived itself as the oracle for the import's reading of its language: {@code keepalived -t} (the Debian
 * package's) checks every corpus file and every sample the package ships, and for each line it complains about,
 * the import must have said something at that line, or have refused the whole block around it.
 *
 * <p>keepalived's config test also looks at the host: interfaces, script users and script files. It runs in a
 * network namespace with the interfaces they name, and in a mount namespace where {@code lvsd-script} exists (a
 * private copy of /etc/passwd and /etc/group) and every {@code /usr/local/bin} script the corpus names is a stub on a tmpfs, so
 * that only the configuration is judged and the machine is left as it was.
 */
class KeepalivedOracleIT {
    private static final Pattern LINE = Pattern.compile("^\\((?:(.+): )?Line (\\d+)\\) (.*)$");
    private static final Pattern SCRIPT = Pattern.compile("/usr/local/bin/[A-Za-z0-9_.-]+");
    private static final Path SAMPLES = Path.of("/usr/share/doc/keepalived/samples");

    @TempDir
    static Path tmp;
    static Netns lab;

    @BeforeAll
    static void lab() throws Exception {
        Lab.requireRoot("keepalived -t in a network and a mount namespace");
        Lab.requireCommand("keepalived", "keepalived");
        Lab.requireCommand("unshare", "util-linux");
        lab = new Netns("kaoracle");
        lab.add("ka");
        // The interfaces the corpus and the samples name. veth: the dummy driver is not in every kernel;
        // the peers stay inside the namespace.
        String[] ifs = {"eth0", "eth1", "eth2", "eth3", "eth0.1"};
        for (int i = 0; i < ifs.length; i++) {
            lab.exec("ka", "ip", "link", "add", ifs[i], "type", "veth", "peer", "name", "peer" + i);
            lab.exec("ka", "ip", "link", "set", ifs[i], "up");
            lab.exec("ka", "ip", "link", "set", "peer" + i, "up");
        }
        lab.exec("ka", "ip", "addr", "add", "192.168.2.2/24", "dev", "eth0");
        String passwd = Files.readString(Path.of("/etc/passwd"));
        String group = Files.readString(Path.of("/etc/group"));
        // lvsd-script as uid 0 in the private copy: Debian's keepalived 2.2.7 kills itself under -t after checking
        // a script as any other user (notify.c's "parent died" check lacks the CONFIG_TEST_BIT guard that later
        // versions have), so the config test could not finish on any file with a script.
        passwd = passwd.lines().filter(l -> !l.startsWith("lvsd-script:")).reduce("", (a, b) -> a + b + "\n")
                + "lvsd-script:x:0:0::/nonexistent:/usr/sbin/nologin\n";
        group = group.lines().filter(l -> !l.startsWith("lvsd-script:")).reduce("", (a, b) -> a + b + "\n")
                + "lvsd-script:x:0:\n";
        Files.writeString(tmp.resolve("passwd"), passwd);
        Files.writeString(tmp.resolve("group"), group);
    }

    @AfterAll
    static void close() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    /** What {@code keepalived -t} says about a file: its exit code and its messages tied to a line. */
    record Verdict(int rc, List<Source> lines, List<String> messages, String output) {}

    static Verdict keepalivedTest(Path file) throws IOException, InterruptedException {
        Set<String> scripts = new TreeSet<>();
        Path dir = file.getParent();
        try (Stream<Path> s = Files.walk(dir, 2)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Matcher m = SCRIPT.matcher(Files.readString(p, StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    scripts.add(m.group());
                }
            }
        }
        StringBuilder sh = new StringBuilder("set -e; mount --bind " + tmp.resolve("passwd") + " /etc/passwd; mount --bind "
                + tmp.resolve("group") + " /etc/group; mount -t tmpfs lvsd-oracle /usr/local/bin; ");
        for (String s : scripts) {
            sh.append("printf '#!/bin/sh\\nexit 0\\n' > ").append(s).append("; chmod 755 ").append(s).append("; ");
        }
        sh.append("exec ip netns exec ").append(lab.name("ka")).append(" keepalived -t -i lvs1 -f ").append(file);
        Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", sh.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("keepalived -t " + file + " did not finish in 60 s");
        }
        List<Source> lines = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        for (String l : out.split("\n")) {
            Matcher m = LINE.matcher(l.strip());
            if (!m.matches()) {
                continue;
            }
            String f = m.group(1) == null ? file.toString() : m.group(1);
            Path fp = Path.of(f).isAbsolute() ? Path.of(f) : dir.resolve(f);
            String display = fp.normalize().startsWith(dir) ? dir.relativize(fp.normalize()).toString() : f;
            lines.add(new Source(display, Integer.parseInt(m.group(2))));
            messages.add(display + ":" + m.group(2) + ": " + m.group(3));
        }
        return new Verdict(p.exitValue(), lines, messages, out);
    }

    /**
     * The places keepalived complained about that the import said nothing about: neither a diagnostic at that
     * line nor one at the start of the innermost block around it.
     */
    static List<String> unmatched(Path file, Verdict v) throws Exception {
        KeepalivedReader.Result read;
        try {
            read = KeepalivedReader.read(file, "lvs1");
        } catch (KeepalivedSyntaxException e) {
            // The import refused the file: every complaint must be at its one error line or after it.
            return v.lines().stream().filter(s -> s.file().equals(e.at().file()) && s.line() < e.at().line())
                    .map(Source::toString).toList();
        }
        KeepalivedImport.Result r = KeepalivedImport.convert(read, file.getFileName().toString());
        Set<Source> said = new LinkedHashSet<>();
        r.diagnostics().forEach(d -> said.add(d.at()));
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < v.lines().size(); i++) {
            Source s = v.lines().get(i);
            if (said.contains(s)) {
                continue;
            }
            Stmt inner = innermost(read.statements(), s);
            if (inner == null || !said.contains(inner.at())) {
                missing.add(v.messages().get(i));
            }
        }
        return missing;
    }

    /** The innermost statement with a block that spans {@code s}, not counting one that starts on it. */
    static Stmt innermost(List<Stmt> stmts, Source s) {
        for (Stmt st : stmts) {
            if (st.block() != null && st.spans(s) && !st.at().equals(s)) {
                Stmt deeper = innermost(st.block(), s);
                return deeper != null ? deeper : st;
            }
        }
        return null;
    }

    @Test
    void keepalivedAcceptsTheCorpusAndTheImportNamesEveryLineItComplainsAbout() throws Exception {
        Path dir = Path.of(CorpusTest.class.getResource("corpus").toURI());
        for (String name : CorpusTest.corpus()) {
            Verdict v = keepalivedTest(dir.resolve(name));
            System.out.printf("keepalived -t %s: exit %d, %d line messages%n", name, v.rc(), v.lines().size());
            if (name.equals("messy.conf")) {
                // The messy file is wrong on purpose: keepalived complains, and the import says so at each line.
                assertThat(v.lines()).as(v.output()).isNotEmpty();
            } else {
                assertThat(v.rc()).as(name + ":\n" + v.output()).isZero();
            }
            assertThat(unmatched(dir.resolve(name), v)).as(name + ":\n" + v.output()).isEmpty();
        }
    }

    @Test
    void theImportNamesEveryLineKeepalivedComplainsAboutInTheDebianSamples() throws Exception {
        if (!Files.isDirectory(SAMPLES)) {
            Lab.unavailable("the keepalived package's samples (" + SAMPLES + ") are missing");
        }
        List<Path> samples;
        try (Stream<Path> s = Files.list(SAMPLES)) {
            samples = s.filter(p -> p.getFileName().toString().startsWith("keepalived.conf")).sorted().toList();
        }
        assertThat(samples).hasSizeGreaterThan(10);
        int complaints = 0;
        List<String> missing = new ArrayList<>();
        for (Path f : samples) {
            Path copy = tmp.resolve("samples").resolve(f.getFileName());
            Files.createDirectories(copy.getParent());
            Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Verdict v = keepalivedTest(copy);
            complaints += v.lines().size();
            missing.addAll(unmatched(copy, v));
        }
        System.out.printf("keepalived -t on %d Debian samples: %d line messages, %d without an import diagnostic%n",
                samples.size(), complaints, missing.size());
        assertThat(missing).isEmpty();
    }

    @Test
    void aFileKeepalivedRejectsGetsAnImportErrorAtTheSameLine() throws Exception {
        String[][] bad = {
            {"extra-brace.conf", "global_defs {\n  router_id a\n}\n}\n", "4"},
            {"unknown.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  priorty 9\n"
                    + "  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n", "4"},
            {"range.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n"
                    + "  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n", "3"},
            {"prefix.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n"
                    + "  virtual_ipaddress {\n    10.0.0.1/40\n  }\n}\n", "5"},
            {"number.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  priority abc\n"
                    + "  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n", "4"},
            {"glued.conf", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.1.1 80 {\n"
                    + "    TCP_CHECK {\n      connect_timeout=3\n    }\n  }\n}\n", "5"},
        };
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        for (String[] b : bad) {
            Path f = dir.resolve(b[0]);
            Files.writeString(f, b[1]);
            Verdict v = keepalivedTest(f);
            assertThat(v.lines()).as(b[0] + ": " + v.output()).contains(new Source(b[0], Integer.parseInt(b[2])));
            assertThat(unmatched(f, v)).as(b[0] + ": " + v.output()).isEmpty();
        }
    }
}
