package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.testkit.Sh;
import io.lvsd.vrrp.internal.VrrpCodec;
import io.lvsd.vrrp.internal.VrrpPacket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * VRRP between real processes in network namespaces on this machine (no IPVS needed): lvsd
 * against lvsd, lvsd against keepalived, a dead box, a graceful stop, a link going down,
 * tracking, a sync group, and hostile packets. See {@link VrrpLab} for the topology.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VrrpNetnsIT {
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    private VrrpLab lab;

    @BeforeAll
    void lab() throws Exception {
        lab = new VrrpLab("lvsd-vrrpit", Files.createTempDirectory("lvsd-vrrpit"));
    }

    @AfterEach
    void reset() throws Exception {
        if (lab != null) {
            lab.reset();
        }
    }

    @AfterAll
    void close() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private static String instance(int priority, String interval, String extra) {
        return "vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = " + priority
                + ", advert-interval = " + interval + ", virtual-addresses = [\"" + VrrpLab.VIP + "/24\"]\n" + extra
                + "}\n";
    }

    private void awaitMaster(String master, String address) {
        String other = master.equals("d1") ? "d2" : "d1";
        try {
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(50))
                    .until(() -> lab.holds(master, address) && !lab.holds(other, address));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(master + " did not become the only holder of " + address + lab.outputs(), e);
        }
    }

    /** After convergence exactly {@code master} holds the address at every sample. */
    private void assertStable(String master, String address, int samples) throws Exception {
        for (int i = 0; i < samples; i++) {
            assertThat(lab.holders(address)).as("holders of %s, sample %d", address, i).containsExactly(master);
            Thread.sleep(100);
        }
    }

    // ---------------------------------------------------------------- lvsd <-> lvsd

    @Test
    void higherPriorityWinsAndAReturningHigherPriorityDirectorPreempts() throws Exception {
        LvsdProcess d1 = lab.lvsd("d1", instance(100, "300ms", ""));
        awaitMaster("d1", VrrpLab.VIP);
        LvsdProcess d2 = lab.lvsd("d2", instance(150, "300ms", ""));
        awaitMaster("d2", VrrpLab.VIP);
        assertStable("d2", VrrpLab.VIP, 10);
        assertThat(lab.state("d1", "VI_1")).isEqualTo("BACKUP");
        String status = lab.admin("d2", "/status");
        assertThat(status).contains("\"state\" : \"MASTER\"").contains("\"master_address\" : \"10.97.0.12\"");
        assertThat(lab.admin("d1", "/status")).contains("\"master_address\" : \"10.97.0.12\"");
        assertThat(lab.metric("d1", "lvsd_vrrp_adverts_received_total{instance=\"VI_1\"}")).isPositive();
        // The kernel stamped d2's adverts: how long each waited for d1's reader thread is measured (never zero).
        assertThat(lab.metric("d1", "lvsd_vrrp_receive_wait_seconds_count")).isPositive();
        assertThat(lab.metric("d1", "lvsd_vrrp_receive_wait_seconds_sum")).isPositive();
        // VRRP-only: runs on this kernel whatever its IPVS, and says nothing is wrong.
        assertThat(lab.admin("d1", "/healthz")).isNotBlank();
        assertThat(d1.output() + d2.output()).doesNotContain("ERROR");
        assertThat(d1.alive() && d2.alive()).isTrue();
        if (!Files.exists(Path.of("/proc/net/ip_vs"))) {
            assertThat(lab.metric("d1", "lvsd_ipvs_up")).isNotEqualTo(1.0);
        }
    }

    @Test
    void equalPrioritiesElectTheHigherAddress() throws Exception {
        // The address breaks a tie between two masters (RFC 5798 §6.4.3); a backup hearing an equal-priority
        // master keeps it (§6.4.2), so whichever started first would simply win. Make both masters apart first.
        lab.partition("d1", true);
        lab.lvsd("d1", instance(100, "300ms", ""));
        lab.lvsd("d2", instance(100, "300ms", ""));
        await().atMost(CONVERGE).until(() -> lab.holds("d1", VrrpLab.VIP) && lab.holds("d2", VrrpLab.VIP));
        lab.partition("d1", false);
        awaitMaster("d2", VrrpLab.VIP); // 10.97.0.12 > 10.97.0.11
        assertStable("d2", VrrpLab.VIP, 10);
        assertThat(lab.state("d1", "VI_1")).isEqualTo("BACKUP");
    }

    @Test
    void withoutPreemptionTheCurrentMasterStays() throws Exception {
        lab.lvsd("d1", instance(100, "300ms", ""));
        awaitMaster("d1", VrrpLab.VIP);
        lab.lvsd("d2", instance(150, "300ms", "preempt = false"));
        await().atMost(CONVERGE).until(() -> "BACKUP".equals(lab.state("d2", "VI_1")));
        // Three Master_Down_Intervals (~1.1 s each): d2 never takes over.
        await().during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(6))
                .until(() -> lab.holds("d1", VrrpLab.VIP) && !lab.holds("d2", VrrpLab.VIP));
    }

    @Test
    void preemptDelayIsHonoured() throws Exception {
        lab.lvsd("d1", instance(100, "300ms", ""));
        awaitMaster("d1", VrrpLab.VIP);
        lab.lvsd("d2", instance(150, "300ms", "preempt-delay = 4s"));
        await().atMost(CONVERGE).until(() -> "BACKUP".equals(lab.state("d2", "VI_1")));
        long backupAt = System.nanoTime();
        awaitMaster("d2", VrrpLab.VIP);
        long waited = (System.nanoTime() - backupAt) / 1_000_000;
        // d2 was BACKUP for the preempt delay at least (less what it took us to see it BACKUP).
        assertThat(waited).as("ms from d2 BACKUP to d2 MASTER").isGreaterThan(3000);
    }

    // ---------------------------------------------------------------- failures

    @Test
    void deadBoxAndGracefulStopHandOverWithinTheProtocolsLimits() throws Exception {
        String both = instance(0, "1s", "").replace("priority = 0", "priority = %d")
                + "vrrp.instances.VI_6 { interface = eth0, virtual-router-id = 52, priority = %d, advert-interval = 1s,"
                + " virtual-addresses = [\"" + VrrpLab.VIP6 + "/64\"] }\n";
        lab.lvsd("d1", String.format(both, 100, 100));
        LvsdProcess d2 = lab.lvsd("d2", String.format(both, 150, 150));
        awaitMaster("d2", VrrpLab.VIP);
        awaitMaster("d2", VrrpLab.VIP6);
        String mac1 = lab.mac("d1");
        String mac2 = lab.mac("d2");
        await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> {
            lab.clientTouch(VrrpLab.VIP);
            lab.clientTouch(VrrpLab.VIP6);
            return mac2.equals(lab.clientNeighbour(VrrpLab.VIP)) && mac2.equals(lab.clientNeighbour(VrrpLab.VIP6));
        });

        // Dead box: SIGKILL and the link down. The backup (priority 100) must take over within
        // Master_Down_Interval = 3 * 1 s + (256 - 100) / 256 s = 3609 ms, plus 100 ms.
        Map<String, double[]> phasesBefore = takeoverPhases("d1");
        long t0 = System.nanoTime();
        Sh.ok("kill", "-KILL", Long.toString(d2.pid()));
        Sh.ok("ip", "-n", lab.ns.name("d2"), "link", "set", "eth0", "down");
        long[] took = awaitTakeover(mac1, t0, 8000);
        assertThat(Arrays.stream(took).max().orElseThrow()).as("ms to VIP, VIP6, client ARP, client ND on d1: %s",
                Arrays.toString(took)).isLessThanOrEqualTo(3609 + 100);
        System.out.printf("dead box takeover (ms): %s%n", Arrays.toString(took));
        assertTakeoverTelemetry(phasesBefore);

        // Graceful: d2 back (it preempts), then SIGTERM: priority 0, d1 takes over after
        // Skew_Time = (256 - 100) / 256 s = 609 ms, plus 100 ms; d2 keeps no address.
        Sh.ok("ip", "-n", lab.ns.name("d2"), "link", "set", "eth0", "up");
        d2 = lab.lvsd("d2", String.format(both, 150, 150));
        awaitMaster("d2", VrrpLab.VIP);
        awaitMaster("d2", VrrpLab.VIP6);
        await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> {
            lab.clientTouch(VrrpLab.VIP);
            lab.clientTouch(VrrpLab.VIP6);
            return mac2.equals(lab.clientNeighbour(VrrpLab.VIP)) && mac2.equals(lab.clientNeighbour(VrrpLab.VIP6));
        });
        t0 = System.nanoTime();
        d2.signal("TERM");
        took = awaitTakeover(mac1, t0, 5000);
        assertThat(Arrays.stream(took).max().orElseThrow()).as("ms to VIP, VIP6, client ARP, client ND on d1: %s",
                Arrays.toString(took)).isLessThanOrEqualTo(609 + 100);
        assertThat(d2.waitFor(20)).isZero();
        assertThat(lab.holds("d2", VrrpLab.VIP) || lab.holds("d2", VrrpLab.VIP6)).isFalse();
        System.out.printf("graceful takeover (ms): %s%n", Arrays.toString(took));
    }

    static final List<String> PHASES = List.of("master_down", "decision", "vips", "announce", "total");

    /** VI_1's {@code lvsd_vrrp_takeover_seconds} on {@code host}: count and sum per phase. */
    private Map<String, double[]> takeoverPhases(String host) {
        Map<String, double[]> m = new java.util.LinkedHashMap<>();
        for (String p : PHASES) {
            String tags = "{instance=\"VI_1\",phase=\"" + p + "\"}";
            m.put(p, new double[] {lab.metric(host, "lvsd_vrrp_takeover_seconds_count" + tags),
                lab.metric(host, "lvsd_vrrp_takeover_seconds_sum" + tags)});
        }
        return m;
    }

    /**
     * d1's own account of the dead-box takeover: one more of each phase; the first is Master_Down_Interval from the
     * last advert heard (the timer is restarted by each advert); the loop's decision, the VIPs and the first
     * announcement add milliseconds; the phases add up to the total. The event log in /status has the takeover.
     */
    private void assertTakeoverTelemetry(Map<String, double[]> before) throws Exception {
        Map<String, Double> ms = new java.util.LinkedHashMap<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() ->
                takeoverPhases("d1").get("total")[0] == before.get("total")[0] + 1);
        Map<String, double[]> after = takeoverPhases("d1");
        for (String p : PHASES) {
            assertThat(after.get(p)[0]).as("takeovers timed in phase " + p).isEqualTo(before.get(p)[0] + 1);
            ms.put(p, (after.get(p)[1] - before.get(p)[1]) * 1000);
        }
        System.out.printf("dead box takeover as d1 timed it (ms): %s%n", ms);
        assertThat(ms.get("master_down")).as("Master_Down_Interval (ms)").isCloseTo(3609.375, within(1.0));
        assertThat(ms.get("decision") + ms.get("vips") + ms.get("announce")).as("after the expiry (ms) " + ms)
                .isBetween(0.0, 100.0);
        assertThat(ms.get("total")).as("the phases add up " + ms).isCloseTo(ms.get("master_down") + ms.get("decision")
                + ms.get("vips") + ms.get("announce"), within(0.01));
        String status = lab.admin("d1", "/status");
        assertThat(status).contains("\"source\" : \"vrrp\"", "VI_1: BACKUP -> MASTER", "VI_1: takeover: last advert");
    }

    /** Polls until d1 holds both VIPs and the client's entries point at {@code mac}; ms for each. */
    private long[] awaitTakeover(String mac, long t0, long limitMs) throws Exception {
        long[] at = {-1, -1, -1, -1};
        while ((System.nanoTime() - t0) / 1_000_000 < limitMs && Arrays.stream(at).anyMatch(x -> x < 0)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (at[0] < 0 && lab.holds("d1", VrrpLab.VIP)) {
                at[0] = ms;
            }
            if (at[1] < 0 && lab.holds("d1", VrrpLab.VIP6)) {
                at[1] = ms;
            }
            if (at[2] < 0 && mac.equals(lab.clientNeighbour(VrrpLab.VIP))) {
                at[2] = ms;
            }
            if (at[3] < 0 && mac.equals(lab.clientNeighbour(VrrpLab.VIP6))) {
                at[3] = ms;
            }
        }
        assertThat(at).as("takeover within %d ms (VIP, VIP6, client ARP, client ND)", limitMs)
                .doesNotContain(-1L);
        return at;
    }

    @Test
    void linkDownFaultsTheMasterAndLinkUpRejoins() throws Exception {
        lab.lvsd("d1", instance(100, "300ms", ""));
        lab.lvsd("d2", instance(150, "300ms", ""));
        awaitMaster("d2", VrrpLab.VIP);
        Sh.ok("ip", "-n", lab.ns.name("d2"), "link", "set", "eth0", "down");
        await().atMost(CONVERGE).until(() -> "FAULT".equals(lab.state("d2", "VI_1")));
        awaitMaster("d1", VrrpLab.VIP);
        assertThat(lab.admin("d2", "/status")).contains("\"fault_reason\" : \"interface eth0 is down\"");
        Sh.ok("ip", "-n", lab.ns.name("d2"), "link", "set", "eth0", "up");
        awaitMaster("d2", VrrpLab.VIP); // preempt = true: it rejoins and takes over again
        assertThat(lab.metric("d2", "lvsd_vrrp_transitions_total{from=\"MASTER\",instance=\"VI_1\",to=\"FAULT\"}"))
                .isEqualTo(1.0);
    }

    @Test
    void reloadLeavesUnchangedInstancesAloneAndStartsNewOnes() throws Exception {
        String vi1 = instance(100, "300ms", "");
        LvsdProcess d1 = lab.lvsd("d1", vi1);
        awaitMaster("d1", VrrpLab.VIP);
        String toMaster = "lvsd_vrrp_transitions_total{from=\"BACKUP\",instance=\"VI_1\",to=\"MASTER\"}";
        String reloads = "lvsd_config_reloads_total{result=\"success\"}";
        lab.writeLvsdConf("d1", vi1 + "vrrp.instances.VI_2 { interface = eth0, virtual-router-id = 61, priority = 100,"
                + " advert-interval = 300ms, virtual-addresses = [\"10.97.1.100/24\"] }\n");
        d1.signal("HUP");
        await().atMost(CONVERGE).until(() -> lab.metric("d1", reloads) == 1.0);
        awaitMaster("d1", "10.97.1.100"); // the new instance runs
        // VI_1 was not touched: no new transition, the VIP never left (sampled through the reload).
        assertThat(lab.metric("d1", toMaster)).isEqualTo(1.0);
        assertThat(lab.metric("d1", "lvsd_vrrp_transitions_total{from=\"MASTER\",instance=\"VI_1\",to=\"INIT\"}"))
                .isZero();
        assertStable("d1", VrrpLab.VIP, 3);
        // Removing VI_2 stops it alone: its address goes, VI_1's stays.
        lab.writeLvsdConf("d1", vi1);
        d1.signal("HUP");
        await().atMost(CONVERGE).until(() -> lab.metric("d1", reloads) == 2.0);
        await().atMost(CONVERGE).until(() -> !lab.holds("d1", "10.97.1.100"));
        assertThat(lab.holds("d1", VrrpLab.VIP)).isTrue();
        assertThat(lab.metric("d1", toMaster)).isEqualTo(1.0);
    }

    /**
     * One running pair carries the whole matrix of VRRP edits (issue 14 §1), rolled out as an operator would: the
     * backup first, then the master, with the two directors' configurations different in between. No edit may
     * move the VIP or cause a transition; a sampler watches the VIP every 20 ms through all of it.
     */
    @Test
    void everyVrrpEditIsAppliedInPlaceOnARunningPairWithoutATransition() throws Exception {
        String script = "vrrp.track-scripts.chk { command = [\"/bin/true\"], interval = 300ms, weight = -10 }\n";
        record Edit(String what, String d1, String d2) {
        }
        java.util.function.BiFunction<Integer, String, String> vi = (prio, rest) -> "vrrp.instances.VI_1 { interface"
                + " = eth0, virtual-router-id = 51, priority = " + prio + ", " + rest + " }\n";
        String base = "advert-interval = 300ms, virtual-addresses = [\"" + VrrpLab.VIP + "/24\"]";
        String two = "advert-interval = 300ms, virtual-addresses = [\"" + VrrpLab.VIP + "/24\", \"" + VrrpLab.VIP2
                + "/24\"]";
        String twoNarrow = two.replace(VrrpLab.VIP2 + "/24", VrrpLab.VIP2 + "/25");
        List<Edit> edits = List.of(
                new Edit("priority", vi.apply(160, base), vi.apply(110, base)),
                new Edit("a VIP added", vi.apply(160, two), vi.apply(110, two)),
                new Edit("a prefix length changed", vi.apply(160, twoNarrow), vi.apply(110, twoNarrow)),
                new Edit("the advert interval", vi.apply(160, twoNarrow.replace("300ms", "200ms")),
                        vi.apply(110, twoNarrow.replace("300ms", "200ms"))),
                new Edit("a track script added", script + vi.apply(160, twoNarrow.replace("300ms", "200ms")
                        + ", track.scripts = [chk]"), script + vi.apply(110, twoNarrow.replace("300ms", "200ms")
                        + ", track.scripts = [chk]")),
                new Edit("preempt-delay and notify", script + vi.apply(160, twoNarrow.replace("300ms", "200ms")
                        + ", track.scripts = [chk], preempt-delay = 5s, notify.master = \"/bin/true\""),
                        script + vi.apply(110, twoNarrow.replace("300ms", "200ms")
                        + ", track.scripts = [chk], preempt-delay = 5s, notify.master = \"/bin/true\"")),
                new Edit("a VIP removed", vi.apply(160, base.replace("300ms", "200ms")),
                        vi.apply(110, base.replace("300ms", "200ms"))));
        LvsdProcess d1 = lab.lvsd("d1", vi.apply(150, base));
        awaitMaster("d1", VrrpLab.VIP);
        LvsdProcess d2 = lab.lvsd("d2", vi.apply(100, base));
        await().atMost(CONVERGE).until(() -> "BACKUP".equals(lab.state("d2", "VI_1")));
        String reloads = "lvsd_config_reloads_total{result=\"success\"}";
        List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            for (int n = 0; sampling.get() && n < 10_000; n++) { // bounded: 10,000 samples at most
                try {
                    List<String> h = lab.holders(VrrpLab.VIP);
                    if (!h.equals(List.of("d1"))) {
                        violations.add("sample " + n + ": holders of " + VrrpLab.VIP + " " + h);
                    }
                    Thread.sleep(20);
                } catch (Exception e) {
                    violations.add(e.toString());
                    return;
                }
            }
        });
        sampler.start();
        try {
            int expected = 0;
            for (Edit e : edits) {
                lab.writeLvsdConf("d2", e.d2());
                d2.signal("HUP");
                int n2 = ++expected;
                await().atMost(CONVERGE).until(() -> lab.metric("d2", reloads) == n2);
                assertStable("d1", VrrpLab.VIP, 3); // the two differ now
                lab.writeLvsdConf("d1", e.d1());
                d1.signal("HUP");
                await().atMost(CONVERGE).until(() -> lab.metric("d1", reloads) == n2);
                assertStable("d1", VrrpLab.VIP, 3);
                assertThat(lab.state("d1", "VI_1")).as(e.what()).isEqualTo("MASTER");
                assertThat(lab.state("d2", "VI_1")).as(e.what()).isEqualTo("BACKUP");
                switch (e.what()) {
                    case "priority" -> await().atMost(CONVERGE).until(() ->
                            lab.metric("d1", "lvsd_vrrp_priority{instance=\"VI_1\"}") == 160.0);
                    case "a VIP added" -> {
                        await().atMost(CONVERGE).until(() -> lab.holds("d1", VrrpLab.VIP2));
                        assertThat(lab.holds("d2", VrrpLab.VIP2)).isFalse();
                        assertThat(lab.metric("d1", "lvsd_config_reload_actions_total{action=\"addresses\","
                                + "component=\"vrrp\"}")).isEqualTo(1.0);
                    }
                    case "a prefix length changed" -> await().atMost(CONVERGE).until(() -> Sh.ok("ip", "-n",
                            "lvsd-vrrpit-d1", "-o", "addr", "show", "dev", "eth0").contains(VrrpLab.VIP2 + "/25"));
                    case "a VIP removed" -> await().atMost(CONVERGE).until(() -> !lab.holds("d1", VrrpLab.VIP2));
                    default -> {
                    }
                }
            }
            // The interval change reached the backup through the master's adverts, the track script runs.
            assertThat(lab.metric("d1", "lvsd_vrrp_track_script_runs_total{result=\"success\",script=\"chk\"}"))
                    .isPositive();
        } finally {
            sampling.set(false);
            sampler.join(5_000);
        }
        assertThat(violations).as(lab.outputs()).isEmpty();
        for (String h : List.of("d1", "d2")) {
            for (String t : List.of("from=\"MASTER\",instance=\"VI_1\",to=\"BACKUP\"",
                    "from=\"MASTER\",instance=\"VI_1\",to=\"INIT\"",
                    "from=\"BACKUP\",instance=\"VI_1\",to=\"INIT\"")) {
                assertThat(lab.metric(h, "lvsd_vrrp_transitions_total{" + t + "}")).as(h + " " + t).isZero();
            }
        }
        assertThat(lab.metric("d2", "lvsd_vrrp_transitions_total{from=\"BACKUP\",instance=\"VI_1\",to=\"MASTER\"}"))
                .isZero();
        assertThat(lab.metric("d1", "lvsd_vrrp_transitions_total{from=\"BACKUP\",instance=\"VI_1\",to=\"MASTER\"}"))
                .isEqualTo(1.0);
        assertThat(d1.output() + d2.output()).doesNotContain("ERROR").contains("reload: VI_1: priority 150 -> 160");
        // /status says what the last reload changed.
        assertThat(lab.admin("d1", "/status")).contains("\"last_reload\"")
                .contains("VI_1: virtual addresses -[" + VrrpLab.VIP2 + "/25] (master: changed now)")
                .contains("track script chk: stops");
    }

    @Test
    void aDeletedAddressIsPutBackWhileMaster() throws Exception {
        lab.lvsd("d1", instance(100, "300ms", ""));
        awaitMaster("d1", VrrpLab.VIP);
        Sh.ok("ip", "-n", lab.ns.name("d1"), "addr", "del", VrrpLab.VIP + "/24", "dev", "eth0");
        await().atMost(CONVERGE).until(() -> lab.holds("d1", VrrpLab.VIP)
                && lab.metric("d1", "lvsd_vrrp_addresses_restored_total{instance=\"VI_1\"}") == 1.0);
        assertThat(Sh.ok("ip", "-n", lab.ns.name("d1"), "-o", "addr", "show", "dev", "eth0")).contains("eth0:vrrp51");
        // The takeover's addition and the restoring one, each timed: how long the VRRP loop waited for the kernel.
        assertThat(lab.metric("d1", "lvsd_vrrp_address_change_seconds_count")).isGreaterThanOrEqualTo(2.0);
        assertThat(lab.metric("d1", "lvsd_vrrp_address_change_seconds_sum")).isPositive();
    }

    @Test
    void aFailingTrackScriptLowersThePriorityByItsWeightAndHandsOver() throws Exception {
        Path fail = lab.dir.resolve("fail-weight");
        String conf = """
                vrrp.track-scripts.chk { command = ["/bin/sh", "-c", "test ! -e %s"], interval = 300ms, weight = -100 }
                """ + instance(0, "300ms", "track.scripts = [chk]").replace("priority = 0", "priority = %d");
        lab.lvsd("d1", String.format(conf, lab.dir.resolve("never"), 100));
        lab.lvsd("d2", String.format(conf, fail, 150));
        awaitMaster("d2", VrrpLab.VIP);
        Files.writeString(fail, "");
        awaitMaster("d1", VrrpLab.VIP); // d2 now advertises 150 - 100 = 50 < 100: d1 preempts
        assertThat(lab.metric("d2", "lvsd_vrrp_priority{instance=\"VI_1\"}")).isEqualTo(50.0);
        assertThat(lab.state("d2", "VI_1")).isEqualTo("BACKUP");
        assertStable("d1", VrrpLab.VIP, 5);
        Files.delete(fail);
        awaitMaster("d2", VrrpLab.VIP); // back to 150: d2 preempts again
    }

    @Test
    void aSyncGroupMovesTogetherWhenOneMemberFaults() throws Exception {
        Path fail = lab.dir.resolve("fail-fault");
        String conf = """
                vrrp {
                  track-scripts.chk { command = ["/bin/sh", "-c", "test ! -e %s"], interval = 300ms, weight = 0 }
                  instances {
                    VI_1 { interface = eth0, virtual-router-id = 51, priority = %d, advert-interval = 300ms,
                           virtual-addresses = ["10.97.0.100/24"] }
                    VI_2 { interface = eth0, virtual-router-id = 61, priority = %d, advert-interval = 300ms,
                           virtual-addresses = ["10.97.1.100/24"], track.scripts = [chk] }
                  }
                  sync-groups.G { instances = [VI_1, VI_2] }
                }
                """;
        lab.lvsd("d1", String.format(conf, lab.dir.resolve("never"), 100, 100));
        lab.lvsd("d2", String.format(conf, fail, 150, 150));
        awaitMaster("d2", VrrpLab.VIP);
        awaitMaster("d2", "10.97.1.100");
        Files.writeString(fail, "");
        // VI_2 faults on d2, so VI_1 (healthy, priority 150) faults with it: both move to d1.
        awaitMaster("d1", VrrpLab.VIP);
        awaitMaster("d1", "10.97.1.100");
        assertThat(lab.state("d2", "VI_1")).isEqualTo("FAULT");
        assertThat(lab.state("d2", "VI_2")).isEqualTo("FAULT");
        assertStable("d1", "10.97.1.100", 5);
        Files.delete(fail);
        awaitMaster("d2", VrrpLab.VIP); // the group rejoins and preempts as one
        awaitMaster("d2", "10.97.1.100");
    }

    // ---------------------------------------------------------------- hostile packets

    @Test
    void hostilePacketsAreDroppedAndCountedWithoutAStateChange() throws Exception {
        lab.lvsd("d1", "vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = 100, version = 2,"
                + " advert-interval = 1s, authentication.password = secret1, virtual-addresses = [\"" + VrrpLab.VIP
                + "/24\"] }\n");
        awaitMaster("d1", VrrpLab.VIP);
        InetAddress src = IpAddresses.parse("10.97.0.50");
        InetAddress dst = IpAddresses.parse("224.0.0.18");
        List<InetAddress> vips = List.of(IpAddresses.parse(VrrpLab.VIP));
        byte[] pw = VrrpCodec.password("secret1");
        // Each would make d1 a backup (priority 254) if it were accepted.
        byte[] good = VrrpCodec.encode(new VrrpPacket(2, 51, 254, 1, vips, 1, pw), src, dst, true);
        byte[] badSum = good.clone();
        badSum[7] ^= 0x5a;
        byte[] wrongPw = VrrpCodec.encode(new VrrpPacket(2, 51, 254, 1, vips, 1, VrrpCodec.password("guess")), src, dst, true);
        byte[] interval = VrrpCodec.encode(new VrrpPacket(2, 51, 254, 2, vips, 1, pw), src, dst, true);
        byte[] vrid = VrrpCodec.encode(new VrrpPacket(2, 99, 254, 1, vips, 1, pw), src, dst, true);
        try (VrrpLab.RawSender raw = lab.new RawSender()) {
            for (int round = 0; round < 3; round++) {
                raw.send(src, dst, 64, good);                          // TTL 64
                raw.send(src, dst, 255, badSum);                       // checksum
                raw.send(src, dst, 255, wrongPw);                      // password
                raw.send(src, dst, 255, Arrays.copyOf(good, 10));      // truncated
                raw.send(src, dst, 255, interval);                     // v2 interval 2 s
                raw.send(src, dst, 255, vrid);                         // unknown VRID
            }
        }
        String vi = "instance=\"VI_1\",reason=";
        await().atMost(CONVERGE).untilAsserted(() -> {
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{" + vi + "\"ip_ttl\"}")).isEqualTo(3.0);
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{" + vi + "\"checksum\"}")).isEqualTo(3.0);
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{" + vi + "\"auth_failure\"}")).isEqualTo(3.0);
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{" + vi + "\"packet_length\"}")).isEqualTo(3.0);
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{" + vi + "\"advertise_interval\"}")).isEqualTo(3.0);
            assertThat(lab.metric("d1", "lvsd_vrrp_drops_total{instance=\"\",reason=\"vrid\"}")).isEqualTo(3.0);
        });
        assertThat(lab.state("d1", "VI_1")).isEqualTo("MASTER");
        assertThat(lab.holds("d1", VrrpLab.VIP)).isTrue();
        assertThat(lab.metric("d1", "lvsd_vrrp_transitions_total{from=\"MASTER\",instance=\"VI_1\",to=\"BACKUP\"}"))
                .isZero();
        assertThat(lab.metric("d1", "lvsd_vrrp_adverts_received_total{instance=\"VI_1\"}")).isZero();
    }

    // ---------------------------------------------------------------- keepalived

    /** The interop matrix: every variant runs both ways round. */
    enum Variant {
        V2_PASSWORD_IPV4_MULTICAST(2, "1s", "1", false, false),
        V3_IPV4_MULTICAST(3, "500ms", "0.5", false, false),
        V3_IPV6_MULTICAST(3, "500ms", "0.5", true, false),
        V3_IPV4_UNICAST(3, "500ms", "0.5", false, true);

        final int version;
        final String lvsdInterval;
        final String keepalivedInterval;
        final boolean ipv6;
        final boolean unicast;

        Variant(int version, String lvsdInterval, String keepalivedInterval, boolean ipv6, boolean unicast) {
            this.version = version;
            this.lvsdInterval = lvsdInterval;
            this.keepalivedInterval = keepalivedInterval;
            this.ipv6 = ipv6;
            this.unicast = unicast;
        }

        String vip() {
            return ipv6 ? VrrpLab.VIP6 : VrrpLab.VIP;
        }

        String lvsd(int priority) {
            return "vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = " + priority
                    + ", version = " + version + ", advert-interval = " + lvsdInterval
                    + (version == 2 ? ", authentication.password = secret1" : "")
                    + (unicast ? ", unicast-source = \"10.97.0.11\", unicast-peers = [\"10.97.0.12\"]" : "")
                    + ", virtual-addresses = [\"" + vip() + (ipv6 ? "/64" : "/24") + "\"] }\n";
        }

        String keepalived(int priority) {
            return "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority " + priority
                    + "\n  advert_int " + keepalivedInterval + "\n  version " + version + "\n"
                    + (version == 2 ? "  authentication {\n    auth_type PASS\n    auth_pass secret1\n  }\n" : "")
                    + (unicast ? "  unicast_src_ip 10.97.0.12\n  unicast_peer {\n    10.97.0.11\n  }\n" : "")
                    + "  virtual_ipaddress {\n    " + vip() + (ipv6 ? "/64" : "/24") + "\n  }\n}\n";
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void interoperatesWithKeepalivedBothWaysRound(Variant v) throws Exception {
        String vip = v.vip();
        // keepalived higher: it wins, lvsd backs it up, and takes over when keepalived stops.
        LvsdProcess lvsd = lab.lvsd("d1", v.lvsd(100));
        Process keepalived = lab.keepalived("d2", v.keepalived(150));
        awaitMaster("d2", vip);
        await().atMost(CONVERGE).until(() -> "BACKUP".equals(lab.state("d1", "VI_1")));
        assertStable("d2", vip, 10);
        assertThat(lab.metric("d1", "lvsd_vrrp_adverts_received_total{instance=\"VI_1\"}")).isPositive();
        keepalived.destroy(); // SIGTERM: keepalived sends priority 0
        keepalived.waitFor();
        awaitMaster("d1", vip);

        // lvsd higher: keepalived backs it up; when lvsd stops keepalived takes over; when lvsd
        // returns it preempts keepalived.
        lab.keepalived("d2", v.keepalived(50));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> lab.holds("d1", vip) && !lab.holds("d2", vip));
        lvsd.signal("TERM");
        assertThat(lvsd.waitFor(20)).isZero();
        awaitMaster("d2", vip);
        lab.lvsd("d1", v.lvsd(100));
        awaitMaster("d1", vip);
        assertStable("d1", vip, 10);
    }
}
