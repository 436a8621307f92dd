package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.controller.admin.UnixHttp;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import io.lvsd.testkit.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Active-active directors, the control plane, in network namespaces on this machine (no IPVS: each lvsd keeps its
 * table in memory, {@code LVSD_TEST_IPVS=memory}; its health checks, quorum, routes and API are the real ones). A
 * router runs BIRD with ECMP and an L4 hash; three directors run lvsd and BIRD, each with a BGP session to the router
 * and BFD at 100 ms x 3; three real servers answer the checks. The scenarios run in order on one topology: all
 * announce and the router spreads flows over them; a drain; a quorum lost on one director for one VIP; a director
 * killed hard (how long BFD takes is printed); its return; lvsd crashing with the routes left in place; a graceful
 * stop. The data plane (connections through IPVS surviving each of these) is the lab VM's (EcmpVmTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EcmpNetnsIT {
    static final String WEB = "10.88.100.10";
    static final String API = "10.88.100.11";
    static final String[] DIRECTORS = {"d1", "d2", "d3"};
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private Netns ns;
    private Path dir;
    private LabServers servers;
    private final Map<String, LvsdProcess> lvsd = new LinkedHashMap<>();
    private final Map<String, Process> bird = new LinkedHashMap<>();
    private final Map<String, Long> timings = new LinkedHashMap<>();

    static String ip(String director) {
        return "10.88.0.1" + director.substring(1);
    }

    @BeforeAll
    void lab() throws Exception {
        Lab.requireRoot("builds network namespaces");
        Lab.requireCommand("bird", "bird2");
        ns = new Netns("lvsd-ecmp");
        dir = Files.createTempDirectory("lvsd-ecmp");
        ns.bridge("lan");
        ns.link("r", "eth0", "lan", "10.88.0.1/24");
        Sh.ok("ip", "netns", "exec", ns.name("r"), "sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1");
        servers = new LabServers();
        for (int i = 1; i <= 3; i++) {
            ns.link("rs" + i, "eth0", "lan", "10.88.0.2" + i + "/24");
            servers.tcp(ns.name("rs" + i), 80, "rs" + i);
        }
        Map<String, String> peers = new LinkedHashMap<>();
        for (String d : DIRECTORS) {
            ns.link(d, "eth0", "lan", ip(d) + "/24");
            peers.put(d, ip(d));
        }
        Files.writeString(dir.resolve("r.conf"), BirdConfigs.router("10.88.0.1", peers, 100, 3, 3, 1));
        bird.put("r", birdIn("r"));
        for (String d : DIRECTORS) {
            Files.writeString(dir.resolve(d + ".conf"), BirdConfigs.director(ip(d), "10.88.0.1", 100, 3, 3, 1));
            Files.writeString(dir.resolve(d + "-lvsd.conf"), lvsdConfig(d));
            bird.put(d, birdIn(d));
            lvsd.put(d, startLvsd(d));
        }
    }

    private String lvsdConfig(String d) {
        return "director.name = " + d + "\n"
                + "admin { listen = \"127.0.0.1:9180\", control-socket = \"" + dir.resolve(d + ".sock") + "\" }\n"
                + "routing { enabled = true, control-socket = \"" + dir.resolve(d + "-bird.ctl") + "\" }\n"
                + """
                virtual-servers = [
                  { name = web, address = "10.88.100.10:80", scheduler = mh, forwarding = dr, on-failure = quiesce,
                    scheduler-flags = [mh-fallback, mh-port],
                    check { type = tcp, interval = 500ms, timeout = 400ms, retries = 1, retry-delay = 100ms },
                    real-servers = [ { address = "10.88.0.21:80" }, { address = "10.88.0.22:80" } ] },
                  { name = api, address = "10.88.100.11:80", scheduler = mh, forwarding = dr, on-failure = quiesce,
                    scheduler-flags = [mh-fallback, mh-port],
                    check { type = tcp, interval = 500ms, timeout = 400ms, retries = 1, retry-delay = 100ms },
                    real-servers = [ { address = "10.88.0.23:80" } ] }
                ]
                """;
    }

    private Process birdIn(String host) throws Exception {
        Path sock = dir.resolve(host.equals("r") ? "r.ctl" : host + "-bird.ctl");
        Files.deleteIfExists(sock);
        return ns.spawn(host, "bird", "-f", "-c", dir.resolve(host + ".conf").toString(), "-s", sock.toString(),
                "-P", dir.resolve(host + ".pid").toString());
    }

    private LvsdProcess startLvsd(String d) throws Exception {
        return LvsdProcess.startIn(ns.name(d), Map.of("LVSD_TEST_IPVS", "memory"), "run", "-f",
                dir.resolve(d + "-lvsd.conf").toString());
    }

    @AfterAll
    void close() throws Exception {
        for (LvsdProcess p : lvsd.values()) {
            p.close();
        }
        if (servers != null) {
            servers.close();
        }
        if (ns != null) {
            ns.close();
        }
        System.out.println("ECMP control plane (host namespaces), milliseconds:");
        timings.forEach((k, v) -> System.out.printf("  %-58s %6d%n", k, v));
    }

    /** The next hops the router's kernel uses for {@code vip}: the directors announcing it. */
    Set<String> nextHops(String vip) throws Exception {
        String out = ns.exec("r", "ip", "route", "show", vip + "/32");
        Set<String> hops = new LinkedHashSet<>();
        Matcher m = Pattern.compile("via (\\S+)").matcher(out);
        while (m.find()) {
            hops.add(m.group(1));
        }
        return hops;
    }

    private Set<String> ips(String... directors) {
        Set<String> s = new LinkedHashSet<>();
        for (String d : directors) {
            s.add(ip(d));
        }
        return s;
    }

    private void awaitHops(String vip, String... directors) {
        await(vip + " via " + String.join(",", directors)).atMost(CONVERGE).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(nextHops(vip)).containsExactlyInAnyOrderElementsOf(ips(directors)));
    }

    /** Milliseconds until the router's routes for every VIP match {@code directors}, polled every few ms. */
    private long timeUntilHops(String... directors) throws Exception {
        long t0 = System.nanoTime();
        awaitHops(WEB, directors);
        awaitHops(API, directors);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private String status(String d) throws Exception {
        return UnixHttp.get(dir.resolve(d + ".sock"), "/status");
    }

    @Test
    @Order(1)
    void everyDirectorAnnouncesEveryVipAndTheRouterSpreadsFlowsOverAllOfThem() throws Exception {
        long t0 = System.nanoTime();
        awaitHops(WEB, DIRECTORS);
        awaitHops(API, DIRECTORS);
        timings.put("1. start to every VIP via 3 directors (JVM, BGP, checks)", (System.nanoTime() - t0) / 1_000_000);
        Map<String, Integer> spread = new LinkedHashMap<>();
        for (int port = 40000; port < 40040; port++) {
            String out = ns.exec("r", "ip", "route", "get", WEB, "ipproto", "tcp", "sport", Integer.toString(port),
                    "dport", "80");
            Matcher m = Pattern.compile("via (\\S+)").matcher(out);
            assertThat(m.find()).as(out).isTrue();
            spread.merge(m.group(1), 1, Integer::sum);
        }
        System.out.println("ECMP: 40 flows to " + WEB + " by next hop: " + spread);
        assertThat(spread.keySet()).as("the L4 hash uses every director").containsExactlyInAnyOrderElementsOf(
                ips(DIRECTORS));
        await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> assertThat(status("d1"))
                .contains("\"name\" : \"uplink\"").contains("\"state\" : \"Established\"")
                .contains("\"reason\" : \"its virtual server has quorum\""));
    }

    @Test
    @Order(2)
    void aDrainedDirectorIsWithdrawnEverywhereAndAnnouncesAgainOnResume() throws Exception {
        String answer = UnixHttp.post(dir.resolve("d2.sock"), "/director/drain");
        assertThat(answer).startsWith("HTTP/1.1 200").contains("director draining: 0 of 2 VIPs announced");
        timings.put("2. POST /director/drain to withdrawn at the router", timeUntilHops("d1", "d3"));
        assertThat(status("d2")).contains("\"draining\" : true")
                .contains("the director is draining (POST /director/drain)");
        assertThat(ns.exec("d2", "ip", "route", "show", "table", "local", "proto", "245"))
                .as("a drained director still takes the VIPs in").contains(WEB).contains(API);
        assertThat(ns.exec("d2", LvsdProcess.launcher().toString(), "routing", "resume", "--socket",
                dir.resolve("d2.sock").toString())).as("the CLI").contains("director resumed: 2 of 2 VIPs announced");
        timings.put("2. lvsd routing resume (JVM start) to announced at the router", timeUntilHops(DIRECTORS));
    }

    @Test
    @Order(3)
    void aDirectorThatLosesQuorumForOneVipWithdrawsOnlyThatVipOnlyThere() throws Exception {
        // d1 alone can no longer reach api's only real server: api loses its quorum there and nowhere else.
        ns.exec("d1", "ip", "route", "add", "prohibit", "10.88.0.23/32");
        long t0 = System.nanoTime();
        awaitHops(API, "d2", "d3");
        timings.put("3. check path cut to API withdrawn from d1 (checks 500 ms)", (System.nanoTime() - t0) / 1_000_000);
        assertThat(nextHops(WEB)).as("web keeps every director").containsExactlyInAnyOrderElementsOf(ips(DIRECTORS));
        assertThat(status("d1")).contains("\"reason\" : \"quorum lost by api\"");
        ns.exec("d1", "ip", "route", "del", "prohibit", "10.88.0.23/32");
        awaitHops(API, DIRECTORS);
    }

    @Test
    @Order(4)
    void aDirectorKilledHardIsWithdrawnByBfdAndComesBack() throws Exception {
        // A dead host: its link goes silent first (BGP cannot say goodbye), then its processes die.
        ns.exec("lan", "ip", "link", "set", "d3-eth0", "down");
        long t0 = System.nanoTime();
        lvsd.get("d3").signal("KILL");
        bird.get("d3").destroyForcibly();
        awaitHops(WEB, "d1", "d2");
        awaitHops(API, "d1", "d2");
        timings.put("4. director dead to withdrawn by BFD 100 ms x 3", (System.nanoTime() - t0) / 1_000_000);
        assertThat(ns.exec("r", "birdc", "-s", dir.resolve("r.ctl").toString(), "show", "protocols", "d3"))
                .doesNotContain("Established");
        lvsd.get("d3").waitFor(10);
        bird.get("d3").waitFor();
        ns.exec("lan", "ip", "link", "set", "d3-eth0", "up");
        long t1 = System.nanoTime();
        bird.put("d3", birdIn("d3"));
        lvsd.put("d3", startLvsd("d3"));
        awaitHops(WEB, DIRECTORS);
        awaitHops(API, DIRECTORS);
        timings.put("4. director restarted to announced again", (System.nanoTime() - t1) / 1_000_000);
    }

    @Test
    @Order(5)
    void lvsdCrashingLeavesTheAnnouncementUntilWithdrawRemovesItAndItsRestartAnnouncesAgain() throws Exception {
        lvsd.get("d1").signal("KILL");
        lvsd.get("d1").waitFor(10);
        // Fail static: the kernel keeps forwarding with the last table, and the announcement stays.
        assertThat(ns.exec("d1", "ip", "route", "show", "table", "4242")).contains(WEB).contains(API);
        assertThat(nextHops(WEB)).containsExactlyInAnyOrderElementsOf(ips(DIRECTORS));
        // What the unit's ExecStopPost schedules when lvsd has not come back.
        String conf = dir.resolve("d1-lvsd.conf").toString();
        long t0 = System.nanoTime();
        assertThat(ns.exec("d1", LvsdProcess.launcher().toString(), "routing", "withdraw", "--unless-running", "-f",
                conf)).contains("withdrew " + WEB + ", " + API + " from table 4242");
        awaitHops(WEB, "d2", "d3");
        awaitHops(API, "d2", "d3");
        timings.put("5. lvsd routing withdraw to withdrawn at the router", (System.nanoTime() - t0) / 1_000_000);
        lvsd.put("d1", startLvsd("d1"));
        await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> assertThat(status("d1"))
                .contains("\"reason\" : \"its virtual server has quorum\""));
        awaitHops(WEB, DIRECTORS);
        awaitHops(API, DIRECTORS);
        assertThat(ns.exec("d1", LvsdProcess.launcher().toString(), "routing", "withdraw", "--unless-running", "-f",
                conf)).contains("lvsd runs (pid").contains("left alone");
        assertThat(nextHops(WEB)).containsExactlyInAnyOrderElementsOf(ips(DIRECTORS));
    }

    @Test
    @Order(6)
    void aGracefulStopWithdrawsFirstAndLeavesTheKernelTakingTheVipsIn() throws Exception {
        lvsd.get("d1").signal("TERM");
        timings.put("6. SIGTERM to withdrawn at the router", timeUntilHops("d2", "d3"));
        assertThat(lvsd.get("d1").waitFor(30)).isZero();
        assertThat(lvsd.get("d1").output()).contains("routing: withdrawing " + WEB + " (lvsd is stopping)");
        assertThat(ns.exec("d1", "ip", "route", "show", "table", "local", "proto", "245")).contains(WEB);
        assertThat(ns.exec("d1", "ip", "route", "show", "table", "4242")).doesNotContain(WEB);
    }
}
