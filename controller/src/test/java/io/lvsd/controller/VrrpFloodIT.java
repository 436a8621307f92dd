package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.vrrp.internal.VrrpCodec;
import io.lvsd.vrrp.internal.VrrpPacket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running pair under a flood of hostile VRRP packets ({@link VrrpLab}: d1 priority 150, d2 100, the client c1 as
 * the attacker, 10.97.0.50, on the same bridge). Two instances: VI_1 VRRPv2 by multicast with a password, VI_2
 * VRRPv3 by unicast between d1 and d2. For 60 s at most (bounded in rate and count), c1 sends, each at priority 254
 * so that any one accepted would take over:
 * <ul>
 *   <li>malformed adverts (bad checksum, truncated), adverts with a wrong password and with a wrong TTL (VI_1);</li>
 *   <li>adverts for a VRID no instance has;</li>
 *   <li>unicast adverts for VI_2 from c1, outside {@code unicast-peers}, at a higher and a lower priority.</li>
 * </ul>
 * Asserted: no state change while both directors live; d2 counts every packet under its drop reason, those with a
 * foreign VRID or a stranger's source after its kernel filter kept them out of the advert queue; the real
 * peers' adverts keep being processed; lvsd's CPU stays bounded (printed). Halfway, d1 is killed: d2 must take over
 * within Master_Down_Interval, as without the flood (a flood used to hold a takeover back one interval more), and
 * stays master while the flood runs its 60 s out.
 */
class VrrpFloodIT {
    static final Duration CONVERGE = Duration.ofSeconds(60);
    /** Packets per second the attacker sends, and the flood's bounds. */
    static final int RATE = 1_000;
    static final long FLOOD_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final int MAX_PACKETS = RATE * 60;
    /** Master_Down_Interval of d2 (priority 100) at 1 s adverts: 3 s + (256 - 100) / 256 s. */
    static final long MASTER_DOWN_MS = 3_609;

    @TempDir
    Path dir;

    static String conf(int priority, String peer) {
        return """
                vrrp.instances {
                  VI_1 { interface = eth0, virtual-router-id = 51, priority = %d, version = 2, advert-interval = 1s,
                         authentication.password = secret1, virtual-addresses = ["%s/24"] }
                  VI_2 { interface = eth0, virtual-router-id = 52, priority = %d, advert-interval = 1s,
                         unicast-peers = ["%s"], virtual-addresses = ["%s/24"] }
                }
                """.formatted(priority, VrrpLab.VIP, priority, peer, VrrpLab.VIP2);
    }

    /** d2's drop counter for {@code instance} and {@code reason}, NaN when unreachable. */
    static double drops(VrrpLab lab, String instance, String reason) {
        return lab.metric("d2", "lvsd_vrrp_drops_total{instance=\"" + instance + "\",reason=\"" + reason + "\"}");
    }

    /** The CPU time (user + system) of process {@code pid} so far, in clock ticks (/proc/PID/stat fields 14, 15). */
    static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    @Test
    void aFloodOfHostileAdvertsChangesNothingAndDoesNotDelayATakeover() throws Exception {
        try (VrrpLab lab = new VrrpLab("lvsd-flood", dir)) {
            LvsdProcess d1 = lab.lvsd("d1", conf(150, "10.97.0.12"));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
                    .until(() -> lab.holds("d1", VrrpLab.VIP) && lab.holds("d1", VrrpLab.VIP2));
            LvsdProcess d2 = lab.lvsd("d2", conf(100, "10.97.0.11"));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() ->
                    "BACKUP".equals(lab.state("d2", "VI_1")) && "BACKUP".equals(lab.state("d2", "VI_2"))
                            && lab.metric("d2", "lvsd_vrrp_adverts_received_total{instance=\"VI_2\"}") >= 2);

            InetAddress c1 = IpAddresses.parse("10.97.0.50");
            InetAddress group = IpAddresses.parse("224.0.0.18");
            InetAddress d2addr = IpAddresses.parse("10.97.0.12");
            List<InetAddress> vip1 = List.of(IpAddresses.parse(VrrpLab.VIP));
            List<InetAddress> vip2 = List.of(IpAddresses.parse(VrrpLab.VIP2));
            byte[] pw = VrrpCodec.password("secret1");
            byte[] good = VrrpCodec.encode(new VrrpPacket(2, 51, 254, 1, vip1, 1, pw), c1, group, true);
            byte[] badSum = good.clone();
            badSum[7] ^= 0x5a;
            record Junk(String instance, String reason, InetAddress dst, int ttl, byte[] payload) {
            }
            List<Junk> kinds = List.of(
                    new Junk("VI_1", "checksum", group, 255, badSum),
                    new Junk("VI_1", "packet_length", group, 255, Arrays.copyOf(good, 10)),
                    new Junk("VI_1", "auth_failure", group, 255, VrrpCodec.encode(
                            new VrrpPacket(2, 51, 254, 1, vip1, 1, VrrpCodec.password("guess")), c1, group, true)),
                    new Junk("VI_1", "ip_ttl", group, 64, good),
                    new Junk("", "vrid", group, 255, VrrpCodec.encode(
                            new VrrpPacket(2, 99, 254, 1, vip1, 1, pw), c1, group, true)),
                    new Junk("VI_2", "unicast_source", d2addr, 255, VrrpCodec.encode(
                            new VrrpPacket(3, 52, 254, 100, vip2, 0, null), c1, d2addr, true)),
                    new Junk("VI_2", "unicast_source", d2addr, 255, VrrpCodec.encode(
                            new VrrpPacket(3, 52, 50, 100, vip2, 0, null), c1, d2addr, true)));
            Map<String, Long> sent = new LinkedHashMap<>();
            double received0 = lab.metric("d2", "lvsd_vrrp_adverts_received_total{instance=\"VI_2\"}");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong total = new AtomicLong();
            long cpu0 = cpuTicks(d2.pid());
            long t0 = System.nanoTime();
            Thread flood = new Thread(() -> {
                try (VrrpLab.RawSender raw = lab.new RawSender()) {
                    long next = System.nanoTime();
                    for (int n = 0; n < MAX_PACKETS && !stop.get() && System.nanoTime() - t0 < FLOOD_NANOS; n++) {
                        Junk j = kinds.get(n % kinds.size());
                        raw.send(c1, j.dst(), j.ttl(), j.payload());
                        synchronized (sent) {
                            sent.merge(j.instance() + "/" + j.reason(), 1L, Long::sum);
                        }
                        total.incrementAndGet();
                        next += 1_000_000_000L / RATE;
                        long wait = next - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "flood");
            flood.start();
            try {
                // 30 s of flood with both directors alive: nothing changes, the real adverts still count.
                await().pollDelay(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(31)).until(() -> true);
                double cpuCores = (cpuTicks(d2.pid()) - cpu0) / 100.0 / ((System.nanoTime() - t0) / 1e9);
                for (String i : List.of("VI_1", "VI_2")) {
                    assertThat(lab.state("d1", i)).as("d1 " + i + lab.outputs()).isEqualTo("MASTER");
                    assertThat(lab.state("d2", i)).as("d2 " + i).isEqualTo("BACKUP");
                }
                assertThat(lab.holders(VrrpLab.VIP)).containsExactly("d1");
                assertThat(lab.metric("d2", "lvsd_vrrp_adverts_received_total{instance=\"VI_2\"}") - received0)
                        .as("d1's real adverts, processed under the flood").isGreaterThanOrEqualTo(25);
                assertThat(d2.output()).doesNotContain("-> MASTER (").doesNotContain("\tat ");

                // d1 dies in the middle of the flood: d2 takes over within Master_Down_Interval.
                long killed = System.nanoTime();
                d1.signal("KILL");
                await().atMost(CONVERGE).pollInterval(Duration.ofMillis(20)).until(() -> lab.holds("d2", VrrpLab.VIP));
                long takeoverMs = (System.nanoTime() - killed) / 1_000_000;
                System.out.printf(Locale.ROOT, "flood: %d packets/s; d2's lvsd used %.2f of a core; takeover %d ms "
                        + "after d1's death (Master_Down_Interval %d ms; at most one advert interval more since its "
                        + "last advert)%n", RATE, cpuCores, takeoverMs, MASTER_DOWN_MS);
                assertThat(cpuCores).as("d2's lvsd CPU under %d packets/s (cores)", RATE).isLessThan(0.5);
                assertThat(takeoverMs).as("kill to takeover under the flood (ms)")
                        .isLessThan(MASTER_DOWN_MS + 1_000 + 500);
                // The flood runs its 60 s out against the new master, which stays master.
                flood.join(TimeUnit.NANOSECONDS.toMillis(FLOOD_NANOS) + 5_000);
                for (String i : List.of("VI_1", "VI_2")) {
                    assertThat(lab.state("d2", i)).as("d2 " + i + " after the flood" + lab.outputs())
                            .isEqualTo("MASTER");
                }
            } finally {
                stop.set(true);
                flood.join(10_000);
            }
            // Every packet counted under its reason (d2 alive throughout).
            Map<String, Long> expected = new LinkedHashMap<>();
            synchronized (sent) {
                expected.putAll(sent);
            }
            assertThat(total.get()).as("packets sent").isGreaterThan(RATE * 50L);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (Map.Entry<String, Long> e : expected.entrySet()) {
                    String[] k = e.getKey().split("/");
                    assertThat(drops(lab, k[0], k[1])).as("d2's drops for " + e.getKey())
                            .isEqualTo(e.getValue().doubleValue());
                }
            });
            // The foreign VRID and the stranger's unicast adverts never reached the advert socket: the kernel's filter
            // kept them out, and only the socket beside it, which counts, read them.
            long keptOut = expected.get("/vrid") + expected.get("VI_2/unicast_source");
            assertThat(lab.metric("d2", "lvsd_vrrp_filtered_total{socket=\"eth0/IPv4\"}"))
                    .as("packets d2's kernel filter kept out of the advert queue").isEqualTo((double) keptOut);
            System.out.printf(Locale.ROOT, "flood: %d of %d packets kept out of the advert queue by the kernel%n",
                    keptOut, total.get());
            assertThat(d2.output()).contains("VI_2: dropped an advert from 10.97.0.50 (priority 254)")
                    .as("the stranger's warning, at most once a minute").containsOnlyOnce("dropped an advert from");
        }
    }
}
