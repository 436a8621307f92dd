package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.Lab;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's run command: {@code lvsd demo} builds its namespaces, serves /status inside them,
 * and leaves nothing behind after Ctrl-C (SIGINT).
 */
class DemoIT {
    private static final List<String> NAMESPACES = List.of("lan", "d1", "d2", "r1", "r2", "c1");

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    static String statusIn(String ns) throws Exception {
        return NetNamespace.call(ns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", 9180), 2000);
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /status HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
        });
    }

    static void assertNothingLeft(String linksBefore) throws Exception {
        Lab.requireCommand("ps", "procps");
        assertThat(run("ip", "netns", "list")).doesNotContain("lvsd-demo-");
        // Live processes only: a killed qemu may linger as a zombie until init reaps it.
        String live = String.join("\n", run("ps", "-eo", "stat=,args=").lines().filter(l -> !l.startsWith("Z")).toList());
        assertThat(live).doesNotContain("lvsd-demo").doesNotContain("qemu-system");
        assertThat(run("ip", "-o", "link", "show")).isEqualTo(linksBefore);
    }

    @Test
    void demoShowsTrafficThroughTheVipAndLeavesNothingBehind() throws Exception {
        Lab.requireRoot("the demo creates network namespaces (and, without IPVS here, boots the lab VM)");
        Lab.requireCommand("ip", "iproute2");
        String hostLinksBefore = run("ip", "-o", "link", "show");
        String hostAddrsBefore = run("ip", "-o", "addr", "show");
        try (LvsdProcess demo = LvsdProcess.start(Map.of(), "demo", "--seconds", "25")) {
            assertThat(demo.waitFor(600)).as(demo.output()).isZero();
            assertThat(demo.output()).contains("=== lvsd demo is running ===", "\"director\" : \"d1\"",
                    "\"name\" : \"web\"", "answered: hello from r1", "answered: hello from r2");
            // The election and the failover: d1 wins, stops, d2 takes the VIP and traffic goes on.
            String out = demo.output();
            assertThat(out).contains("[d1] ", "VI_1: BACKUP -> MASTER", "=== failover: stopping director d1 (SIGTERM) ===")
                    .containsPattern("=== d2 holds the VIP \\d+ ms after the stop ===")
                    .containsPattern("\\[d2\\] .*VI_1: BACKUP -> MASTER \\(the master left \\(priority 0\\)");
            // The story does not depend on which JVM starts first: d2 starts once d1 holds the VIP, and it is never
            // master before the failover.
            String before = out.substring(0, out.indexOf("=== failover: stopping director d1"));
            assertThat(before.indexOf("[d2] ")).as(out).isGreaterThan(before.indexOf("VI_1: BACKUP -> MASTER"));
            assertThat(before).as(out).doesNotContainPattern("\\[d2\\] .*-> MASTER");
            String after = out.substring(out.indexOf("=== d2 holds the VIP"));
            assertThat(after).contains("answered: hello from r");
            // The session connection went on through d2 to the same real server: d1's sync daemon had sent it.
            List<String> session = out.lines().filter(l -> l.startsWith("[c1] session ")).toList();
            assertThat(session).as(out).isNotEmpty().allMatch(l -> l.matches(
                    "\\[c1] session 10\\.99\\.0\\.50:\\d+ -> 10\\.99\\.0\\.100:7, line \\d+ answered by r[12]"));
            assertThat(after.lines().filter(l -> l.startsWith("[c1] session ")).count()).as(out).isGreaterThanOrEqualTo(3);
            assertThat(out).contains("[d2] ").containsPattern("\\[d2\\] .*sync: start master daemon");
            assertThat(demo.output()).doesNotContain("\tat ");
        }
        assertThat(run("ip", "-o", "addr", "show")).isEqualTo(hostAddrsBefore);
        assertNothingLeft(hostLinksBefore);
    }

    @Test
    void ctrlCStopsTheDemoAndLeavesNothingBehind() throws Exception {
        Lab.requireRoot("the demo creates network namespaces (and, without IPVS here, boots the lab VM)");
        Lab.requireCommand("ip", "iproute2");
        String hostLinksBefore = run("ip", "-o", "link", "show");
        try (LvsdProcess demo = LvsdProcess.start(Map.of(), "demo")) {
            // Without IPVS here the demo boots the lab VM and starts d1, then d2, under emulation: the first test's whole
            // run may take 600 s, and this one was seen past 300 s on a slower host.
            await().atMost(Duration.ofSeconds(600)).until(() -> demo.output().contains("=== lvsd demo is running ===")
                    || !demo.alive());
            assertThat(demo.output()).contains("=== lvsd demo is running ===");
            if (Files.exists(Path.of("/proc/net/ip_vs"))) {
                // On the host itself: the lab is there, and /status answers inside it.
                String netns = run("ip", "netns", "list");
                for (String ns : NAMESPACES) {
                    assertThat(netns).contains("lvsd-demo-" + ns);
                }
                assertThat(statusIn("lvsd-demo-d2")).startsWith("HTTP/1.1 200").contains("\"director\" : \"d2\"");
            }
            demo.signal("INT");
            assertThat(demo.waitFor(60)).isNotEqualTo(-1);
        }
        assertNothingLeft(hostLinksBefore);
    }

    @Test
    void withoutRootTheDemoSaysSoAndTouchesNothing() throws Exception {
        Lab.requireRoot("runs the demo as the unprivileged user nobody");
        Lab.requireCommand("runuser", "util-linux");
        // A world-readable copy of the distribution: the checkout may sit under a private directory.
        Path copy = Files.createTempDirectory("lvsd-dist");
        try {
            Path dist = LvsdProcess.launcher().getParent().getParent();
            assertThat(run("cp", "-r", dist + "/.", copy.toString())).isEmpty();
            assertThat(run("chmod", "-R", "a+rX", copy.toString())).isEmpty();
            Process p = new ProcessBuilder("runuser", "-u", "nobody", "--", copy.resolve("bin/lvsd").toString(), "demo")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isEqualTo(1);
            assertThat(out).contains("lvsd demo: must run as root, as it creates network namespaces").doesNotContain("\tat ");
            assertThat(run("ip", "netns", "list")).doesNotContain("lvsd-demo-");
        } finally {
            run("rm", "-rf", copy.toString());
        }
    }
}
