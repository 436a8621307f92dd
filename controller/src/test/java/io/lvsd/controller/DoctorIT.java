package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.lvsd.linux.NetNamespace;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import io.lvsd.vrrp.internal.VrrpCodec;
import io.lvsd.vrrp.internal.VrrpPacket;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lvsd doctor} against faults planted on the wire in host namespaces ({@link VrrpLab}: directors d1, d2 and the
 * client c1 on one bridge, 10.97.0.0/24; a real server rs joins where a scenario needs one). For each fault: the
 * director works first and the doctor says ok; the fault is planted and traffic shows it; the doctor names it with
 * exit 1, the evidence and the fix; the fix is applied; traffic works again and the doctor says ok. Faults that need
 * the IPVS table are DoctorVmTest's.
 */
class DoctorIT {
    @TempDir
    Path dir;

    static final Duration CONVERGE = Duration.ofSeconds(60);

    static String vrrp(int priority) {
        return """
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = %d, version = 3,
                                      advert-interval = 500ms, virtual-addresses = ["%s/24"] }
                """.formatted(priority, VrrpLab.VIP);
    }

    record Run(int code, String out) {
    }

    /** {@code lvsd doctor -f <host's configuration> args...} in {@code host}'s namespace. */
    static Run doctor(VrrpLab lab, String host, String... args) throws Exception {
        String[] all = new String[args.length + 3];
        all[0] = "doctor";
        all[1] = "-f";
        all[2] = lab.dir.resolve(host + "-lvsd.conf").toString();
        System.arraycopy(args, 0, all, 3, args.length);
        LvsdProcess p = LvsdProcess.startIn(lab.ns.name(host), Map.of(), all);
        int code = p.waitFor(120);
        return new Run(code, p.output());
    }

    static void nft(VrrpLab lab, String host, String... args) throws Exception {
        String[] cmd = new String[args.length + 5];
        cmd[0] = "ip";
        cmd[1] = "netns";
        cmd[2] = "exec";
        cmd[3] = lab.ns.name(host);
        cmd[4] = "nft";
        System.arraycopy(args, 0, cmd, 5, args.length);
        Sh.ok(cmd);
    }

    /** A firewall in {@code host} whose input chain drops {@code rule} (an nft match). */
    static void drop(VrrpLab lab, String host, String match) throws Exception {
        nft(lab, host, "add", "table", "inet", "filter");
        nft(lab, host, "add", "chain", "inet", "filter", "input", "{ type filter hook input priority 0 ; }");
        nft(lab, host, "add", "rule", "inet", "filter", "input", "iifname", "eth0", match, "drop");
    }

    @Test
    void aFirewallDroppingVrrpSplitsTheBrainAndTheDoctorSeesBothSides() throws Exception {
        Lab.requireCommand("nft", "nftables");
        try (VrrpLab lab = new VrrpLab("lvsd-doc", dir)) {
            lab.lvsd("d1", vrrp(150));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holds("d1", VrrpLab.VIP));
            lab.lvsd("d2", vrrp(100));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> "BACKUP".equals(lab.state("d2", "VI_1")));
            String d1 = lab.mac("d1");
            String d2 = lab.mac("d2");

            Run ok = doctor(lab, "d2", "--checks", "vrrp", "--seconds", "2");
            assertThat(ok.code()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("ok    vrrp VI_1: who answers 10.97.0.100: one host answers ARP for 10.97.0.100: " + d1,
                    "ok    vrrp VI_1: duplicate VRID: VRID 51 on eth0 is sent only by its peers, with the same addresses:"
                            + " 10.97.0.11 (priority 150)",
                    "ok    vrrp VI_1: firewall in: VRAP".replace("VRAP", "VRRP (protocol 112 to 224.0.0.18) arriving on eth0: no"
                            + " rule or policy drops it (nft"));

            // The fault: d2's firewall drops VRRP, so d2 hears no master and takes the VIP as well.
            drop(lab, "d2", "ip protocol vrrp");
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holders(VrrpLab.VIP).size() == 2);

            Run split = doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2");
            assertThat(split.code()).as(split.out()).isEqualTo(1);
            assertThat(split.out()).contains("fail  vrrp VI_1: who answers 10.97.0.100: 2 hosts answer ARP for 10.97.0.100 on"
                    + " eth0: " + d1 + " (this director), " + d2, "fix: find the other host by its MAC");
            Run blocked = doctor(lab, "d2", "--checks", "vrrp", "--seconds", "2", "--json");
            assertThat(blocked.code()).as(blocked.out()).isEqualTo(1);
            assertThat(schemaProblems(blocked.out())).as(blocked.out()).isEmpty();
            assertThat(blocked.out()).contains("\"check\" : \"vrrp VI_1: firewall in\",\n    \"verdict\" : \"fail\",\n"
                    + "    \"evidence\" : \"VRRP (protocol 112 to 224.0.0.18) arriving on eth0: nft inet filter input: dropped"
                    + " by 'meta iifname eth0 ip protocol vrrp drop'",
                    "\"fix\" : \"accept it ahead of the rule that drops it, e.g. nft insert rule inet filter input iifname"
                            + " eth0 ip protocol vrrp accept\"");

            // The fix: d2 hears d1 again, steps back, and one host answers.
            nft(lab, "d2", "flush", "ruleset");
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holders(VrrpLab.VIP).equals(List.of("d1")));
            for (String h : List.of("d1", "d2")) {
                Run after = doctor(lab, h, "--checks", "vrrp", "--seconds", "2");
                assertThat(after.code()).as(after.out()).isZero();
                assertThat(after.out()).contains("one host answers ARP for 10.97.0.100: " + d1).doesNotContain("fail  ");
            }
        }
    }

    @Test
    void aRealServerThatAnswersArpForTheVipIsFoundAndSetUp() throws Exception {
        Lab.requireCommand("tcpdump", "tcpdump");
        try (VrrpLab lab = new VrrpLab("lvsd-doc", dir)) {
            lab.ns.add("rs");
            lab.ns.link("rs", "eth0", "br", "10.97.0.21/24");
            lab.ns.exec("rs", "ip", "addr", "add", VrrpLab.VIP + "/32", "dev", "lo"); // a DR real server, arp_ignore = 0
            lab.lvsd("d1", vrrp(150));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holds("d1", VrrpLab.VIP));
            String d1 = lab.mac("d1");
            String rs = lab.ns.exec("rs", "cat", "/sys/class/net/eth0/address").strip();

            // The fault on the wire: ARP replies for the VIP from the real server, seen by tcpdump on d1.
            Run bad;
            try (Capture arp = new Capture(lab, "d1", "arp and arp[6:2] == 2")) {
                bad = doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2");
                assertThat(arp.lines()).as("ARP replies d1 received").anyMatch(l -> l.contains(rs + " > ") && l.contains(
                        "Reply " + VrrpLab.VIP + " is-at " + rs));
            }
            assertThat(bad.code()).as(bad.out()).isEqualTo(1);
            assertThat(bad.out()).contains("fail  vrrp VI_1: who answers 10.97.0.100: 2 hosts answer ARP for 10.97.0.100 on"
                    + " eth0: " + d1 + " (this director), " + rs,
                    "run lvsd real-server setup --vip 10.97.0.100 --forwarding dr on it");

            // The fix, on the real server, as the doctor says.
            LvsdProcess setup = LvsdProcess.startIn(lab.ns.name("rs"), Map.of(), "real-server", "setup", "--vip", VrrpLab.VIP,
                    "--forwarding", "dr", "--state-file", dir.resolve("rs.record").toString());
            assertThat(setup.waitFor(120)).as(setup.output()).isZero();
            try (Capture arp = new Capture(lab, "d1", "arp and arp[6:2] == 2")) {
                Run good = doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2");
                assertThat(good.code()).as(good.out()).isZero();
                assertThat(good.out()).contains("ok    vrrp VI_1: who answers 10.97.0.100: one host answers ARP for"
                        + " 10.97.0.100: " + d1 + " (this director)");
                assertThat(arp.lines()).as("ARP replies d1 received").noneMatch(l -> l.contains("is-at " + rs));
            }
        }
    }

    @Test
    void aDuplicateVridWithAHigherPriorityTakesTheVipAwayAndIsNamed() throws Exception {
        try (VrrpLab lab = new VrrpLab("lvsd-doc", dir)) {
            lab.lvsd("d1", vrrp(150));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holds("d1", VrrpLab.VIP));
            assertThat(doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2").out())
                    .contains("ok    vrrp VI_1: duplicate VRID: no other router sent VRID 51 on eth0 in 2 s");

            // Another router on the segment (c1) uses VRID 51 for its own address, at priority 200.
            AtomicInteger vrid = new AtomicInteger(51);
            AtomicBoolean stop = new AtomicBoolean();
            Thread other = new Thread(() -> {
                InetAddress c1 = IpAddresses.parse("10.97.0.50");
                InetAddress group = IpAddresses.parse("224.0.0.18");
                List<InetAddress> theirs = List.of(IpAddresses.parse("10.97.0.200"));
                try (VrrpLab.RawSender raw = lab.new RawSender()) {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    for (int n = 0; n < 1_200 && !stop.get() && System.nanoTime() < end; n++) { // 10 a second, 2 min at most
                        raw.send(c1, group, 255, VrrpCodec.encode(new VrrpPacket(3, vrid.get(), 200, 10, theirs, 0, null),
                                c1, group, true));
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "other-router");
            other.start();
            try {
                // Traffic fails: d1 yields to the higher priority and drops the VIP, which the other router never takes.
                await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holders(VrrpLab.VIP).isEmpty());
                Run bad = doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2");
                assertThat(bad.code()).as(bad.out()).isEqualTo(1);
                assertThat(bad.out()).contains("fail  vrrp VI_1: duplicate VRID: 10.97.0.50 sends VRID 51 v3 for [10.97.0.200],"
                        + " but this director has VRID 51 v3 for [10.97.0.100] on eth0",
                        "fix: give one of them another virtual-router-id",
                        "warn  vrrp VI_1: who answers 10.97.0.100: no host answers ARP for 10.97.0.100");

                // The fix: the other router moves to VRID 61; d1 takes its VIP back.
                vrid.set(61);
                await().atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).until(() -> lab.holds("d1", VrrpLab.VIP));
                Run good = doctor(lab, "d1", "--checks", "vrrp", "--seconds", "2");
                assertThat(good.code()).as(good.out()).isZero();
                assertThat(good.out()).contains("ok    vrrp VI_1: duplicate VRID: no other router sent VRID 51 on eth0 in 2 s");
            } finally {
                stop.set(true);
                other.join();
            }
        }
    }

    @Test
    void syncFilteredByAFirewallIsNamedAndHeardOnceAllowed() throws Exception {
        Lab.requireCommand("nft", "nftables");
        try (VrrpLab lab = new VrrpLab("lvsd-doc", dir)) {
            // Sync needs IPVS, so no daemon runs here: c1 sends what a master's sync daemon sends, and d2's doctor
            // listens with d2's configuration.
            lab.writeLvsdConf("d2", vrrp(100) + "sync-daemon { interface = eth0, sync-id = 7 }\n");
            AtomicBoolean stop = new AtomicBoolean();
            Thread master = new Thread(() -> {
                try {
                    NetNamespace.call(lab.ns.name("c1"), () -> {
                        SyncMessage m = new SyncMessage(1, 7, List.of(SyncConnection.of(6, 0, 0,
                                IpAddresses.parse("10.97.0.60"), 40000, IpAddresses.parse(VrrpLab.VIP), 80,
                                IpAddresses.parse("10.97.0.21"), 80, 900)));
                        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
                            ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
                            InetSocketAddress group = new InetSocketAddress("224.0.0.81", 8848);
                            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                            for (int n = 0; n < 600 && !stop.get() && System.nanoTime() < end; n++) { // 5 a second, 2 min at most
                                ch.send(ByteBuffer.wrap(SyncCodec.encode(m)), group);
                                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                            }
                        }
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "sync-master");
            master.start();
            try {
                Run ok = doctor(lab, "d2", "--checks", "sync", "--seconds", "2");
                assertThat(ok.out()).contains("ok    sync: master heard: heard in 2 s: 10.97.0.50 syncid 7 (",
                        "ok    sync: firewall in: sync (UDP 8848 to 224.0.0.81) arriving on eth0: no rule or policy drops it");
                assertThat(ok.code()).as(ok.out()).isZero();

                drop(lab, "d2", "udp dport 8848");
                LvsdProcess watch = LvsdProcess.startIn(lab.ns.name("d2"), Map.of(), "sync", "watch", "-i", "eth0",
                        "--seconds", "2");
                assertThat(watch.waitFor(120)).as("sync watch hears nothing: " + watch.output()).isEqualTo(1);
                assertThat(watch.output()).contains("no sync traffic heard");
                Run bad = doctor(lab, "d2", "--checks", "sync", "--seconds", "2");
                assertThat(bad.code()).as(bad.out()).isEqualTo(1);
                assertThat(bad.out()).contains("fail  sync: firewall in: sync (UDP 8848 to 224.0.0.81) arriving on eth0: nft inet"
                        + " filter input: dropped by 'meta iifname eth0 udp dport 8848 drop'",
                        "warn  sync: master heard: no sync message on 224.0.0.81:8848 on eth0 in 2 s");

                nft(lab, "d2", "flush", "ruleset");
                Run good = doctor(lab, "d2", "--checks", "sync", "--seconds", "2");
                assertThat(good.code()).as(good.out()).isZero();
                assertThat(good.out()).contains("ok    sync: master heard: heard in 2 s: 10.97.0.50 syncid 7 (");
            } finally {
                stop.set(true);
                master.join();
            }
        }
    }

    @Test
    void ipForwardOffWithANatServiceFailsTheKernelCheckAndBadUsageExitsTwo() throws Exception {
        try (VrrpLab lab = new VrrpLab("lvsd-doc", dir)) {
            lab.writeLvsdConf("d1", vrrp(150) + """
                    virtual-servers = [{ name = web, address = "10.97.0.100:80", scheduler = wlc, forwarding = nat,
                                         real-servers = [{ address = "10.97.1.21:8080" }] }]
                    """);
            lab.ns.exec("d1", "sysctl", "-qw", "net.ipv4.ip_forward=0");
            Run bad = doctor(lab, "d1", "--checks", "kernel", "--seconds", "0");
            assertThat(bad.code()).as(bad.out()).isEqualTo(1);
            assertThat(bad.out()).contains("fail  kernel: net.ipv4.ip_forward: net.ipv4.ip_forward = 0 but web use NAT",
                    "fix: sysctl -w net.ipv4.ip_forward=1");
            lab.ns.exec("d1", "sysctl", "-qw", "net.ipv4.ip_forward=1");
            assertThat(doctor(lab, "d1", "--checks", "kernel", "--seconds", "0").out())
                    .contains("ok    kernel: net.ipv4.ip_forward: net.ipv4.ip_forward = 1, as NAT needs (web)");

            Run usage = doctor(lab, "d1", "--checks", "kernal");
            assertThat(usage.code()).isEqualTo(2);
            assertThat(usage.out()).contains("lvsd doctor: --checks kernal (expected kernel, table, vrrp, sync, real-servers)");
        }
    }

    static List<String> schemaProblems(String json) throws Exception {
        try (InputStream in = Files.newInputStream(Path.of("../docs/doctor-report.schema.json"))) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in)
                    .validate(json, InputFormat.JSON).stream().map(Object::toString).toList();
        }
    }

    /** tcpdump on eth0 of a namespace while open: what it printed, one line per packet, with link-layer headers. */
    static final class Capture implements AutoCloseable {
        private final Process p;
        private final Path out;

        Capture(VrrpLab lab, String host, String filter) throws Exception {
            out = lab.dir.resolve(host + "-capture-" + System.nanoTime() + ".txt");
            Path err = lab.dir.resolve(host + "-capture-" + System.nanoTime() + ".err");
            p = new ProcessBuilder("ip", "netns", "exec", lab.ns.name(host), "tcpdump", "-i", "eth0", "-nn", "-e", "-l",
                    "-c", "1000", filter).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(err).contains("listening on"));
        }

        /** What it captured; it is stopped first, so that every line is written. */
        List<String> lines() throws Exception {
            close();
            return Files.readAllLines(out);
        }

        @Override
        public void close() throws Exception {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
