package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.testkit.KernelLab;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Connection sync end to end on the real kernel: two lvsd directors (d1 priority 150, d2 100) in front of DR and
 * NAT real servers ({@link HaLab}), the kernel's sync daemons following VI_1. The client's own connections are
 * the proof: they must keep answering from the same real server across a failover.
 */
class HaSyncVmTest {
    static final String SYNC = "interface = eth0, sync-id = 7, follow = VI_1";
    /** Generous for single-threaded emulation (one lvsd takes 20-35 s to start there), then Master_Down_Interval. */
    static final Duration CONVERGE = Duration.ofSeconds(240);

    @Test
    void establishedDrAndNatConnectionsSurviveTheMastersDeath() throws Exception {
        KernelLab.requireIpvs();
        try (HaLab lab = new HaLab("lvsd-ha")) {
            lab.start("d1", 150, SYNC);
            lab.start("d2", 100, SYNC);
            lab.awaitMaster("d1", "d2", CONVERGE);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(lab.admin("d1", "/status").contains("\"daemons\" : [ \"master\" ]")
                            && lab.admin("d2", "/status").contains("\"daemons\" : [ \"backup\" ]"))
                            .as(() -> "d1 runs the master daemon, d2 the backup daemon" + lab.outputs()).isTrue());
            // A bystander on the LAN watches the sync group while the connections open.
            LvsdProcess watch = LvsdProcess.startIn(lab.net.name("w1"), Map.of(), "sync", "watch", "-i", "eth0",
                    "--seconds", "15", "--interval", "1");
            await().atMost(Duration.ofSeconds(60)).until(() -> watch.output().contains("listening on 224.0.0.81:8848"));

            List<HaLab.Conn> dr = lab.open(7, 20);
            List<HaLab.Conn> nat = lab.open(8, 10);
            assertThat(dr).extracting(c -> c.owner).contains("r1", "r2");
            assertThat(nat).extracting(c -> c.owner).contains("n1", "n2");
            // The kernel's oracle: every connection is in the backup's table before the master dies.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(lab.established("d2")).as("connections synced to d2")
                            .containsAll(keys(dr, 7)).containsAll(keys(nat, 8)));
            assertThat(watch.waitFor(60)).as(watch.output()).isZero();
            for (HaLab.Conn c : dr) {
                assertThat(watch.output()).contains("10.99.0.11 syncid 7 v1: TCP 10.99.0.50:" + c.port + " -> "
                        + HaLab.VIP + ":7 -> " + (c.owner.equals("r1") ? "10.99.0.21" : "10.99.0.22") + ":7 Route ESTABLISHED");
            }
            assertThat(watch.output()).contains("rate 10.99.0.11: ");

            lab.kill("d1");
            lab.awaitMaster("d2", "d1", Duration.ofSeconds(30));
            List<String> broken = new ArrayList<>();
            for (HaLab.Conn c : concat(dr, nat)) {
                if (!c.works("after failover " + c.port)) {
                    broken.add(c.port + " (" + c.owner + ")");
                }
            }
            assertThat(broken).as("connections that broke when d1 died" + lab.outputs()).isEmpty();
            String status = lab.admin("d2", "/status");
            assertThat(status).contains("\"daemons\" : [ \"master\" ]").contains("VI_1 BACKUP -> MASTER");
            assertThat(lab.output("d2")).contains("sync: start master daemon (eth0, sync-id 7").doesNotContain("\tat ");
        }
    }

    @Test
    void withoutSyncTheSameFailoverBreaksEveryConnection() throws Exception {
        KernelLab.requireIpvs();
        try (HaLab lab = new HaLab("lvsd-ha")) {
            lab.start("d1", 150, "interface = null");
            lab.start("d2", 100, "interface = null");
            lab.awaitMaster("d1", "d2", CONVERGE);
            List<HaLab.Conn> dr = lab.open(7, 20);
            assertThat(lab.established("d2")).isEmpty();
            lab.kill("d1");
            lab.awaitMaster("d2", "d1", Duration.ofSeconds(30));
            int broken = 0;
            for (HaLab.Conn c : dr) {
                broken += c.works("after failover") ? 0 : 1;
            }
            assertThat(broken).as("connections broken without sync (of %d)", dr.size()).isEqualTo(dr.size());
        }
    }

    @Test
    void failBackWaitsForTheSyncStreamAndLosesNoConnection() throws Exception {
        KernelLab.requireIpvs();
        try (HaLab lab = new HaLab("lvsd-ha")) {
            int gated = failBack(lab, SYNC + ", preempt-wait = 30s");
            assertThat(lab.output("d1")).contains("may preempt 10.99.0.12: sync traffic from 10.99.0.12 heard");
            assertThat(gated).as("connections lost at fail-back with sync-aware preemption" + lab.outputs()).isZero();
            int plain = failBack(lab, SYNC + ", preempt-wait = 0s");
            System.out.printf("fail-back: %d connection(s) lost with sync-aware preemption, %d with plain preemption "
                    + "(of 20 each)%n", gated, plain);
        }
    }

    /**
     * d1 and d2 run, d1 master; d1 dies; 10 more connections open through d2; d1 comes back as a rebooted box
     * (empty table) with {@code d1Sync} and preempts while every connection carries traffic. Returns how many
     * of the 20 connections broke.
     */
    private static int failBack(HaLab lab, String d1Sync) throws Exception {
        lab.start("d1", 150, SYNC + ", preempt-wait = 0s"); // no connections yet: nothing to wait for
        if (!lab.running("d2")) {
            lab.start("d2", 100, SYNC);
        }
        lab.awaitMaster("d1", "d2", CONVERGE);
        List<HaLab.Conn> conns = new ArrayList<>(lab.open(7, 10));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> lab.established("d2").containsAll(keys(conns, 7)));
        lab.kill("d1");
        lab.awaitMaster("d2", "d1", Duration.ofSeconds(30));
        conns.addAll(lab.open(7, 10)); // only d2 knows these
        // Every connection exchanges a line about every 50 ms, as a busy client would, so the master's kernel
        // sends each of them again every 50 of its packets (net.ipv4.vs.sync_threshold = 3 50).
        AtomicBoolean run = new AtomicBoolean(true);
        List<HaLab.Conn> lost = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger rounds = new AtomicInteger();
        Thread pump = new Thread(() -> {
            long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            while (run.get() && System.nanoTime() < end) {
                long t = System.nanoTime();
                for (HaLab.Conn c : conns) {
                    if (!lost.contains(c) && !c.works("round " + rounds.get())) {
                        lost.add(c);
                    }
                }
                rounds.incrementAndGet();
                long left = Duration.ofMillis(50).toNanos() - (System.nanoTime() - t);
                if (left > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                }
            }
        }, "pump");
        pump.start();
        try {
            lab.reboot("d1");
            lab.start("d1", 150, d1Sync);
            lab.awaitMaster("d1", "d2", CONVERGE);
            int at = rounds.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> rounds.get() >= at + 20);
        } finally {
            run.set(false);
            pump.join();
        }
        int n = lost.size();
        for (HaLab.Conn c : conns) {
            c.close();
        }
        lab.kill("d1"); // for the next round: d2 takes over again
        lab.awaitMaster("d2", "d1", Duration.ofSeconds(30));
        lab.reboot("d1");
        return n;
    }

    static List<String> keys(List<HaLab.Conn> conns, int vport) {
        return conns.stream().map(c -> c.port + " " + vport).toList();
    }

    static List<HaLab.Conn> concat(List<HaLab.Conn> a, List<HaLab.Conn> b) {
        List<HaLab.Conn> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }
}
