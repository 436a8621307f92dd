package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.controller.admin.PrometheusText;
import io.lvsd.linux.UnixDatagramSocket;
import io.lvsd.testkit.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lvsd run} as systemd would run it: the real launcher, a NOTIFY_SOCKET the test owns,
 * a watchdog, SIGHUP with a broken and then a good file, and SIGTERM.
 */
class DaemonProcessIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private double metric(int port, String sample) throws Exception {
        return PrometheusText.parse(get(port, "/metrics")).getOrDefault(sample, Double.NaN);
    }

    @Test
    void runsReloadsOnSighupAndStopsOnSigterm() throws Exception {
        int port = Ports.freeLoopbackPort();
        Path conf = dir.resolve("lvsd.conf");
        Files.writeString(conf, "director { name = first }\nadmin { listen = \"127.0.0.1:" + port + "\" }\n");
        String sock = dir.resolve("notify.sock").toString();
        List<String> notes = new CopyOnWriteArrayList<>();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(sock)) {
            Thread reader = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        byte[] b = systemd.receive(200, 4096);
                        if (b != null) {
                            notes.add(new String(b, StandardCharsets.UTF_8));
                        }
                    }
                } catch (Exception e) {
                    // socket closed
                }
            });
            reader.setDaemon(true);
            reader.start();
            try (LvsdProcess lvsd = LvsdProcess.start(Map.of("NOTIFY_SOCKET", sock, "WATCHDOG_USEC", "400000"),
                    "run", "-f", conf.toString())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> notes.stream().anyMatch(n -> n.startsWith("READY=1")));
                assertThat(notes.stream().filter(n -> n.startsWith("READY=1")).findFirst().orElseThrow())
                        .contains("MAINPID=" + lvsd.pid());
                assertThat(get(port, "/status")).contains("\"director\" : \"first\"");
                assertThat(metric(port, "lvsd_config_reloads_total{result=\"failure\"}")).isZero();
                await().atMost(Duration.ofSeconds(10)).until(() -> notes.contains("WATCHDOG=1"));

                // A broken file: the old configuration stays, the error is logged with file:line.
                Files.writeString(conf, "director { name = second }\nadmin { listen = \"127.0.0.1:" + port + "\" }\n"
                        + "vrrp.instances.VI_1 { priority = 300 }\n");
                lvsd.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        metric(port, "lvsd_config_reloads_total{result=\"failure\"}") == 1.0);
                assertThat(lvsd.output()).contains(conf + ":3: vrrp.instances.VI_1.priority: 300 (expected 1-255)",
                        "reload failed");
                assertThat(get(port, "/status")).contains("\"director\" : \"first\"");
                assertThat(notes).anyMatch(n -> n.startsWith("RELOADING=1"));

                // A good file: applied.
                Files.writeString(conf, "director { name = second }\nadmin { listen = \"127.0.0.1:" + port + "\" }\n");
                lvsd.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        metric(port, "lvsd_config_reloads_total{result=\"success\"}") == 1.0);
                assertThat(get(port, "/status")).contains("\"director\" : \"second\"");
                assertThat(metric(port, "lvsd_config_reloads_total{result=\"failure\"}")).isEqualTo(1.0);

                lvsd.signal("TERM");
                assertThat(lvsd.waitFor(30)).isZero();
                await().atMost(Duration.ofSeconds(5)).until(() -> notes.stream().anyMatch(n -> n.startsWith("STOPPING=1")));
                assertThat(lvsd.output()).doesNotContain("\tat ", "Exception");
            } finally {
                reader.interrupt();
            }
        }
    }

    @Test
    void sigintAlsoStopsGracefully() throws Exception {
        int port = Ports.freeLoopbackPort();
        Path conf = dir.resolve("lvsd.conf");
        Files.writeString(conf, "admin { listen = \"127.0.0.1:" + port + "\" }\n");
        try (LvsdProcess lvsd = LvsdProcess.start(Map.of(), "run", "-f", conf.toString())) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(port, "/healthz").equals("ok\n"));
            lvsd.signal("INT");
            assertThat(lvsd.waitFor(30)).isZero();
            assertThat(lvsd.output()).contains("SIGINT: stop requested", "stopped");
        }
    }

    /**
     * A running daemon owns its network namespace's IPVS table: a second daemon there does not start, and the CLI's
     * changes to the table are refused, saying why, unless --force (issue 14 §3). This host has no IPVS, so a
     * forced command goes on to its "no IPVS" exit (3): what matters is that the refusal came first.
     */
    @Test
    void aRunningDaemonIsSeenByASecondDaemonAndByTheCliThatWouldChangeItsTable() throws Exception {
        int port = Ports.freeLoopbackPort();
        Path conf = dir.resolve("owner.conf");
        Files.writeString(conf, "admin { listen = \"127.0.0.1:" + port + "\" }\n");
        try (LvsdProcess lvsd = LvsdProcess.start(Map.of(), "run", "-f", conf.toString())) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(port, "/healthz").equals("ok\n"));
            long pid = lvsd.pid();
            Path second = dir.resolve("second.conf");
            Files.writeString(second, "admin { listen = \"127.0.0.1:" + Ports.freeLoopbackPort() + "\" }\n");
            try (LvsdProcess two = LvsdProcess.start(Map.of(), "run", "-f", second.toString())) {
                assertThat(two.waitFor(60)).isEqualTo(1);
                await().atMost(Duration.ofSeconds(5)).until(() -> two.output().contains("not starting"));
                assertThat(two.output()).contains("another lvsd (pid " + pid + ") runs in this network namespace");
            }
            for (String[] cmd : new String[][] {{"ipvs", "flush"}, {"ipvs", "timeouts", "--set", "900", "0", "0"},
                    {"ipvs", "restore"}}) {
                try (LvsdProcess cli = LvsdProcess.start(Map.of(), cmd)) {
                    cli.closeInput();
                    assertThat(cli.waitFor(60)).as(String.join(" ", cmd)).isEqualTo(1);
                    assertThat(cli.output()).contains("refused: lvsd (pid " + pid + ") runs in this network namespace",
                            "--force").doesNotContain("\tat ");
                }
            }
            try (LvsdProcess forced = LvsdProcess.start(Map.of(), "ipvs", "flush", "--force")) {
                assertThat(forced.waitFor(60)).isEqualTo(java.nio.file.Files.exists(Path.of("/proc/net/ip_vs")) ? 0 : 3);
                assertThat(forced.output()).contains("going on (--force)");
            }
            assertThat(lvsd.alive()).isTrue();
        }
        try (LvsdProcess cli = LvsdProcess.start(Map.of(), "ipvs", "flush")) {
            assertThat(cli.waitFor(60)).as("the daemon is gone: nothing to refuse").isNotEqualTo(1);
            assertThat(cli.output()).doesNotContain("refused");
        }
    }

    @Test
    void anInvalidFileAtStartupExitsOneWithEveryErrorAndNoStackTrace() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "admin { listen = nowhere }\nvrrp.instances.X { virtual-router-id = 0 }\n");
        try (LvsdProcess lvsd = LvsdProcess.start(Map.of(), "run", "-f", conf.toString())) {
            assertThat(lvsd.waitFor(60)).isEqualTo(1);
            Thread.onSpinWait();
            await().atMost(Duration.ofSeconds(5)).until(() -> lvsd.output().contains("not starting"));
            assertThat(lvsd.output()).contains(conf + ":1: admin.listen", conf + ":2: vrrp.instances.X.virtual-router-id: 0 (expected 1-255)")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void withoutIpvsTheDaemonRunsAndSaysWhyOnce() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/proc/net/ip_vs")),
                "this kernel has IPVS; the lab VM covers that case");
        int port = Ports.freeLoopbackPort();
        int closed = Ports.freeLoopbackPort();
        Path conf = dir.resolve("lvsd.conf");
        // Real servers on loopback, checked even without IPVS: one listens, one refuses.
        try (java.net.ServerSocket listening = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Path notify = dir.resolve("notify.sh");
            Path notified = dir.resolve("notified");
            Files.writeString(notify, "#!/bin/sh\necho \"$@\" >> " + notified + "\n");
            notify.toFile().setExecutable(true);
            Files.writeString(conf, "admin { listen = \"127.0.0.1:" + port + "\" }\n"
                    + "scripts.user = " + System.getProperty("user.name") + "\n"
                    + "virtual-servers = [ { name = web, address = \"10.0.0.1:80\", check { interval = 1s, timeout = 1s },\n"
                    + "  real-servers = [ { address = \"127.0.0.1:" + listening.getLocalPort() + "\" },"
                    + " { address = \"127.0.0.1:" + closed + "\", notify.down = \"" + notify + " down " + closed + "\" } ] } ]\n");
            Thread accept = new Thread(() -> {
                while (!listening.isClosed()) {
                    try {
                        listening.accept().close();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            accept.setDaemon(true);
            accept.start();
            try (LvsdProcess lvsd = LvsdProcess.start(Map.of(), "run", "-f", conf.toString())) {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(port, "/healthz").equals("ok\n"));
                assertThat(get(port, "/status")).contains("\"available\" : false",
                        "\"error\" : \"IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)\"");
                assertThat(metric(port, "lvsd_ipvs_up")).isZero();
                String up = "lvsd_real_server_up{real_server=\"127.0.0.1:" + listening.getLocalPort() + "\",service=\"web\"}";
                String down = "lvsd_real_server_up{real_server=\"127.0.0.1:" + closed + "\",service=\"web\"}";
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    assertThat(metric(port, down)).isZero();
                    assertThat(metric(port, up)).isEqualTo(1.0);
                });
                assertThat(lvsd.output()).contains("health: web 127.0.0.1:" + closed + " (tcp) DOWN: Connection refused; removing it");
                await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(notified));
                assertThat(Files.readString(notified)).as("the real server's notify.down ran once").isEqualTo("down " + closed + "\n");
                assertThat(get(port, "/status")).contains("\"real_server\" : \"127.0.0.1:" + closed + "\"",
                        "\"state\" : \"DOWN\"", "\"last_result\" : \"connected\"");
                // A reload keeps each unchanged check's state: no second DOWN line.
                lvsd.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        metric(port, "lvsd_config_reloads_total{result=\"success\"}") == 1.0);
                assertThat(metric(port, down)).isZero();
                assertThat(lvsd.output().split("DOWN: Connection refused", -1)).hasSize(2);
                assertThat(lvsd.output().split("IPVS is not available in this kernel", -1)).hasSize(2);
                lvsd.signal("TERM");
                assertThat(lvsd.waitFor(30)).isZero();
                assertThat(lvsd.output()).doesNotContain("\tat ", "Exception");
            }
        }
    }
}
