package io.lvsd.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.TestConfigs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The lvsd command line, run in-process: exit codes, output and help. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run lvsd(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void checkConfigOnAValidFilePrintsASummaryAndExitsZero() {
        Path f = TestConfigs.write(dir, "ok.conf", """
                director { name = lvs9 }
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, virtual-addresses = ["10.0.0.100/24"] }
                virtual-servers = [ { name = web, address = "10.0.0.100:80", real-servers = [ { address = "10.0.1.1:80", weight = 2 } ] } ]
                """);
        Run r = lvsd("check-config", "-f", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains(f + ": OK", "director lvs9", "VI_1", "eth0 vrid 51 prio 100 v3", "10.0.0.100/24",
                "web", "tcp 10.0.0.100:80 wlc nat", "-> 10.0.1.1:80 weight 2 nat", "sync daemon: off");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void checkConfigOnABadFileListsEveryErrorAndExitsOne() {
        Path f = TestConfigs.write(dir, "bad.conf", """
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 0, virtual-addresses = ["10.0.0.100/24"] }
                admin { listne = "127.0.0.1:1" }
                """);
        Run r = lvsd("check-config", "-f", f.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).containsExactly(
                f + ":1: vrrp.instances.VI_1.virtual-router-id: 0 (expected 1-255)",
                f + ":2: admin.listne: unknown key (did you mean listen?)",
                "2 errors in " + f);
    }

    @Test
    void checkConfigQuietPrintsNothingWhenValid() {
        Path f = TestConfigs.write(dir, "ok.conf", "director.name = q\n");
        Run r = lvsd("check-config", "-q", "-f", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEmpty();
    }

    @Test
    void warningsGoToStderrWithoutFailing() {
        Path f = TestConfigs.write(dir, "w.conf", "virtual-servers = [ { name = x, address = \"10.0.0.1:80\" } ]\n");
        Run r = lvsd("check-config", "-f", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("warning: " + f + ":1: virtual-servers[0].real-servers: empty and no sorry-server");
    }

    @Test
    void checkConfigOnAMissingFileExitsOne() {
        Run r = lvsd("check-config", "-f", dir.resolve("absent.conf").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).contains("cannot read " + dir.resolve("absent.conf") + ": no such file");
    }

    @Test
    void missingOptionIsAUsageError() {
        Run r = lvsd("check-config");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertThat(lvsd("frobnicate").code()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void noCommandPrintsUsageAndExitsTwo() {
        Run r = lvsd();
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("Usage: lvsd", "check-config", "run", "demo", "version");
    }

    @Test
    void versionPrintsTheBuildVersion() {
        Run r = lvsd("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("lvsd ").contains("Java " + System.getProperty("java.version"));
        assertThat(lvsd("--version").out()).startsWith("lvsd ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "check-config", "status", "real-server", "version", "demo", "ipvs", "ipvs list", "ipvs save", "ipvs restore", "ipvs flush", "ipvs timeouts"})
    void everyCommandHasHelpWithExamples(String command) {
        String[] args = (command + " --help").split(" ");
        Run r = lvsd(args);
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: lvsd " + command).containsIgnoringCase("example");
    }

    @Test
    void realServerChangesGoThroughTheControlSocket() throws Exception {
        Path socket = dir.resolve("control.sock");
        var c = TestConfigs.valid(dir, """
                admin { listen = "127.0.0.1:%d", control-socket = "%s" }
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, virtual-addresses = ["10.0.0.100/24"] }
                """.formatted(io.lvsd.testkit.Ports.freeLoopbackPort(), socket));
        List<String> calls = new java.util.ArrayList<>();
        var server = new io.lvsd.controller.admin.AdminServer(
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), java.util.Map::of, () -> { },
                (a, sv, rs, w) -> {
                    calls.add(a + " " + sv + " " + rs + " " + w);
                    if (!sv.equals("web")) {
                        throw new java.util.NoSuchElementException("service: no virtual server named " + sv);
                    }
                    return a + " " + sv + " " + rs + (w == null ? "" : " weight " + w);
                });
        server.start(c);
        try {
            Run drain = lvsd("real-server", "drain", "-s", "web", "-r", "10.1.0.1:80", "--socket", socket.toString());
            assertThat(drain.code()).as(drain.err()).isZero();
            assertThat(drain.out()).isEqualTo("drain web 10.1.0.1:80\n");
            Run weight = lvsd("real-server", "weight", "-s", "web", "-r", "10.1.0.1:80", "-w", "5", "--socket",
                    socket.toString());
            assertThat(weight.out()).isEqualTo("weight web 10.1.0.1:80 weight 5\n");
            Run unknown = lvsd("real-server", "enable", "-s", "nope", "-r", "10.1.0.1:80", "--socket", socket.toString());
            assertThat(unknown.code()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(unknown.err()).isEqualTo("lvsd real-server: service: no virtual server named nope (HTTP 404)\n");
            assertThat(calls).containsExactly("drain web 10.1.0.1:80 null", "weight web 10.1.0.1:80 5",
                    "enable nope 10.1.0.1:80 null");
        } finally {
            server.stop();
        }
        Run down = lvsd("real-server", "drain", "-s", "web", "-r", "10.1.0.1:80", "--socket", socket.toString());
        assertThat(down.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(down.err()).startsWith("lvsd real-server: no lvsd answered on " + socket);
        assertThat(lvsd("real-server", "weight", "-s", "web", "-r", "10.1.0.1:80").code()).as("weight without -w")
                .isEqualTo(Main.EXIT_USAGE);
        assertThat(lvsd("real-server", "pause", "-s", "web", "-r", "10.1.0.1:80").code()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void secretsNeverReachCheckConfigNorTheStatusDocument() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "the-api-token-0123456789\n");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        String conf = """
                admin.token-file = "%s"
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, version = 2, advert-interval = 1s,
                  authentication.password = pw-s3cr, virtual-addresses = ["10.0.0.100/24"] }
                """.formatted(token);
        Path f = TestConfigs.write(dir, "secret.conf", conf);
        Run ok = lvsd("check-config", "-f", f.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out() + ok.err()).isNotBlank().doesNotContain("pw-s3cr").doesNotContain("the-api-token");
        Path bad = TestConfigs.write(dir, "bad-secret.conf", conf.replace("pw-s3cr", "pw-s3cret-too-long"));
        Run no = lvsd("check-config", "-f", bad.toString());
        assertThat(no.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(no.out() + no.err()).contains("authentication.password").doesNotContain("pw-s3cr");
        String status = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                io.lvsd.controller.config.ConfigSummary.of(TestConfigs.valid(dir, conf)));
        assertThat(status).contains("VI_1").doesNotContain("pw-s3cr").doesNotContain("the-api-token");
    }

    @Test
    void runWithAnInvalidFileExitsOneWithoutStarting() {
        Path f = TestConfigs.write(dir, "bad.conf", "admin { listen = nowhere }\n");
        assertThat(lvsd("run", "-f", f.toString()).code()).isEqualTo(Main.EXIT_FAILURE);
    }

    static Stream<Path> etcFiles() throws Exception {
        Path etc = Path.of(System.getProperty("lvsd.etc", "../etc"));
        try (Stream<Path> s = Files.walk(etc)) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".conf") && !p.getParent().endsWith("conf.d")).sorted().toList();
            assertThat(files).hasSizeGreaterThanOrEqualTo(4);
            return files.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("etcFiles")
    void everyShippedConfigurationPassesCheckConfig(Path file) {
        Run r = TestConfigs.asPackaged(() -> lvsd("check-config", "-f", file.toString()));
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
    }

    @Test
    void ipvsCommandsWithoutIpvsExitThreeWithOneSentence() {
        // This machine's kernel has no IPVS (the lab VM's does: see the controller's VM tests).
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/proc/net/ip_vs")), "the kernel has IPVS");
        for (String sub : new String[] {"list", "save", "flush", "timeouts"}) {
            Run r = lvsd("ipvs", sub);
            assertThat(r.code()).as(sub).isEqualTo(3);
            assertThat(r.err()).isEqualTo("lvsd ipvs: IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)\n");
        }
    }

    @Test
    void restoreReportsEveryBadLineAndAppliesNothing() {
        var cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        IpvsCommand.RestoreCmd restore = cl.getSubcommands().get("ipvs").getSubcommands().get("restore").getCommand();
        restore.in = new java.io.ByteArrayInputStream("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r nowhere\n".getBytes());
        assertThat(cl.execute("ipvs", "restore")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("lvsd ipvs restore: line 2: -r: \"nowhere\" is not an IP address\n"
                + "lvsd ipvs restore: nothing applied\n");
    }

    /** A loopback HTTP server answering /status with {@code body} and {@code code}; the test's stand-in for lvsd. */
    static com.sun.net.httpserver.HttpServer fakeDaemon(int code, String body) throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/status", x -> {
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(code, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        return server;
    }

    @Test
    void statusPrintsTheDaemonsSummaryAsTablesOrItsJson() throws Exception {
        var server = fakeDaemon(200, io.lvsd.controller.admin.StatusViewTest.STATUS);
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            Run r = lvsd("status", "--url", url);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("director d1, lvsd 0.1.0").contains("Real server").contains("10.99.0.21:80")
                    .contains("MASTER");
            assertThat(r.err()).isEmpty();
            Run j = lvsd("status", "--url", url + "/", "--json");
            assertThat(j.code()).isZero();
            assertThat(j.out()).isEqualTo(io.lvsd.controller.admin.StatusViewTest.STATUS);
            // The file's admin.listen: a wildcard address is reached on loopback.
            Path f = TestConfigs.write(dir, "lvsd.conf", "admin { listen = \"0.0.0.0:" + server.getAddress().getPort()
                    + "\", allow-remote = true }\n");
            assertThat(lvsd("status", "-f", f.toString()).out()).contains("director d1");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void statusSaysWhyWhenNoDaemonAnswers() throws Exception {
        var server = fakeDaemon(500, "internal error\n");
        int port = server.getAddress().getPort();
        try {
            Run r = lvsd("status", "--url", "http://127.0.0.1:" + port);
            assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(r.err()).isEqualTo("lvsd status: http://127.0.0.1:" + port + "/status answered HTTP 500: "
                    + "internal error\n");
        } finally {
            server.stop(0);
        }
        Run r = lvsd("status", "--url", "http://127.0.0.1:" + port, "--timeout", "2");
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).startsWith("lvsd status: no lvsd answered at http://127.0.0.1:" + port + "/status (")
                .endsWith("); is it running? (systemctl status lvsd)\n").doesNotContain("\tat ");
        Path bad = TestConfigs.write(dir, "bad.conf", "admin { listen = nowhere }\n");
        Run b = lvsd("status", "-f", bad.toString());
        assertThat(b.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(b.err()).contains("bad.conf:1").contains("is not valid, so its admin.listen is unknown; give --url");
        assertThat(lvsd("status", "--url", "ftp://x").code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(lvsd("status", "--url", "http://x", "-f", bad.toString()).code()).isEqualTo(Main.EXIT_USAGE);
    }
}
