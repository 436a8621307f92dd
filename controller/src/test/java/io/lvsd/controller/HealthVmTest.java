package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Netns;
import io.lvsd.testkit.Sh;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Health checks against the real kernel: lvsd in d1 directs a TCP and a UDP service (LVS-DR) to r1 and r2, with a
 * sorry server s1; the test kills and restores the real servers' listeners and watches {@code ipvsadm -Ln} and the
 * client's own traffic.
 *
 * <pre>
 *  c1 10.99.0.50 ──┐
 *  d1 10.99.0.11 ──┤ lan   VIP 10.99.0.100 on d1: :80 tcp -> r1, r2 (sorry s1); :5353 udp -> r1, r2
 *  r1 10.99.0.21 ──┤       r1, r2, s1 carry the VIP on lo (arp_ignore 1, arp_announce 2)
 *  r2 10.99.0.22 ──┤
 *  s1 10.99.0.31 ──┘
 * </pre>
 */
class HealthVmTest {
    static final String VIP = "10.99.0.100";
    /** interval 1 s, retries 2, timeout 1 s: a dead server must leave within interval x retries + timeout + 1 s. */
    static final Duration BOUND = Duration.ofSeconds(1 * 2 + 1 + 1);
    static final String CONFIG = """
            director.name = lab-d1
            virtual-servers = [
              { name = web, address = "10.99.0.100:80", scheduler = rr, forwarding = dr, sorry-server = "10.99.0.31:80",
                check { type = tcp, interval = 1s, timeout = 1s, retries = 2, rise = 2 },
                real-servers = [ { address = "10.99.0.21:80" }, { address = "10.99.0.22:80" } ] }
              { name = dns, address = "10.99.0.100:5353", protocol = udp, scheduler = rr, forwarding = dr,
                on-failure = %s,
                check { type = udp, interval = 1s, timeout = 1s, retries = 2, rise = 2,
                        udp { payload = "ping", expect-regex = "ping" } },
                real-servers = [ { address = "10.99.0.21:5353" }, { address = "10.99.0.22:5353" } ] }
            ]
            """;

    static Netns net;
    static LvsdProcess lvsd;
    static Path conf;
    static final Map<String, ServerSocket> tcp = new ConcurrentHashMap<>();
    static final Map<String, DatagramSocket> udp = new ConcurrentHashMap<>();
    static volatile boolean closing;

    @BeforeAll
    static void lab() throws Exception {
        KernelLab.requireIpvs();
        net = new Netns("lvsd-h");
        net.bridge("lan");
        net.link("c1", "eth0", "lan", "10.99.0.50/24");
        net.link("d1", "eth0", "lan", "10.99.0.11/24");
        net.exec("d1", "ip", "addr", "add", VIP + "/24", "dev", "eth0");
        for (String[] r : new String[][] {{"r1", "10.99.0.21"}, {"r2", "10.99.0.22"}, {"s1", "10.99.0.31"}}) {
            net.link(r[0], "eth0", "lan", r[1] + "/24");
            net.exec(r[0], "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                    "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2");
            net.exec(r[0], "ip", "addr", "add", VIP + "/32", "dev", "lo");
            startTcp(r[0]);
        }
        startUdp("r1");
        startUdp("r2");
        conf = Files.createTempFile("lvsd-health", ".conf");
        Files.writeString(conf, CONFIG.formatted("remove"));
        lvsd = LvsdProcess.startIn(net.name("d1"), Map.of(), "run", "-f", conf.toString());
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                .until(() -> !lvsd.alive() || table().contains("10.99.0.22:5353"));
        assertThat(lvsd.alive()).as(lvsd.output()).isTrue();
    }

    @AfterAll
    static void down() throws Exception {
        closing = true;
        if (lvsd != null) {
            lvsd.close();
        }
        tcp.values().forEach(HealthVmTest::quietly);
        udp.values().forEach(DatagramSocket::close);
        if (net != null) {
            net.close();
        }
    }

    static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    static String table() throws Exception {
        return Sh.run(null, "ip", "netns", "exec", net.name("d1"), "ipvsadm", "-Ln").out();
    }

    /** The lines of ipvsadm -Ln under the service {@code service} ("TCP  10.99.0.100:80"). */
    static String service(String service) throws Exception {
        String t = table();
        int i = t.indexOf(service);
        if (i < 0) {
            return "";
        }
        int end = t.indexOf("\nTCP ", i + 1);
        int endU = t.indexOf("\nUDP ", i + 1);
        int stop = end < 0 ? endU : endU < 0 ? end : Math.min(end, endU);
        return stop < 0 ? t.substring(i) : t.substring(i, stop);
    }

    /** A line-answering TCP server on :80 in {@code host}, answering every connection with its name. */
    static void startTcp(String host) throws Exception {
        ServerSocket ss = NetNamespace.call(net.name(host), () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("0.0.0.0", 80), 64);
            return s;
        });
        tcp.put(host, ss);
        Thread t = new Thread(() -> {
            while (!closing && !ss.isClosed()) {
                try (Socket c = ss.accept()) {
                    c.getOutputStream().write((host + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    if (ss.isClosed()) {
                        return;
                    }
                }
            }
        }, "tcp-" + host);
        t.setDaemon(true);
        t.start();
    }

    /** A UDP server on :5353 in {@code host} that answers each datagram with its name and the datagram. */
    static void startUdp(String host) throws Exception {
        DatagramSocket s = NetNamespace.call(net.name(host), () -> {
            DatagramSocket d = new DatagramSocket(null);
            d.setReuseAddress(true);
            d.bind(new InetSocketAddress("0.0.0.0", 5353));
            return d;
        });
        udp.put(host, s);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[512];
            while (!closing && !s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    byte[] out = (host + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
                            .getBytes(StandardCharsets.US_ASCII);
                    s.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    if (s.isClosed()) {
                        return;
                    }
                }
            }
        }, "udp-" + host);
        t.setDaemon(true);
        t.start();
    }

    /** Who answers a new TCP connection from c1 to the VIP, or null. */
    static String whoAnswers() throws Exception {
        return request(VIP);
    }

    static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aKilledServerLeavesTheTableWithinTheBoundAndComesBackAfterRise() throws Exception {
        assertThat(service("TCP  10.99.0.100:80")).contains("10.99.0.21:80", "10.99.0.22:80");
        tcp.remove("r1").close();
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> !service("TCP  10.99.0.100:80").contains("10.99.0.21:80"));
        long gone = millisSince(t0);
        for (int i = 0; i < 10; i++) {
            assertThat(whoAnswers()).isEqualTo("r2");
        }
        startTcp("r1");
        long t1 = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> service("TCP  10.99.0.100:80").matches("(?s).*10\\.99\\.0\\.21:80\\s+Route\\s+1\\s.*"));
        long back = millisSince(t1);
        System.out.printf("health: r1 out of the table %d ms after its listener closed (bound %d ms), back %d ms after "
                + "it returned (rise 2 x interval 1 s)%n", gone, BOUND.toMillis(), back);
        assertThat(gone).as("ms from kill to removal").isLessThanOrEqualTo(BOUND.toMillis());
        assertThat(lvsd.output()).contains("health: web 10.99.0.21:80 (tcp) DOWN: Connection refused (2 failures in a row); removing it",
                "health: web 10.99.0.21:80 (tcp) UP: connected (2 successes in a row)");
    }

    @Test
    void allRealServersDownPutsTheSorryServerInPlaceUntilOneIsBack() throws Exception {
        tcp.remove("r1").close();
        tcp.remove("r2").close();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> service("TCP  10.99.0.100:80").contains("10.99.0.31:80"));
        assertThat(service("TCP  10.99.0.100:80")).doesNotContain("10.99.0.21:80", "10.99.0.22:80");
        assertThat(whoAnswers()).isEqualTo("s1");
        assertThat(lvsd.output()).contains("health: web lost its quorum: live weight 0 < 1");
        startTcp("r2");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> !service("TCP  10.99.0.100:80").contains("10.99.0.31:80"));
        assertThat(whoAnswers()).isEqualTo("r2");
        assertThat(lvsd.output()).contains("health: web regained its quorum: live weight 1 >= 1");
        startTcp("r1");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> service("TCP  10.99.0.100:80").contains("10.99.0.21:80"));
    }

    /**
     * A UDP client that keeps its source port (a resolver, a game, a VoIP phone) sends every 100 ms. Its server
     * dies. With {@code on-failure = remove} (and expire_nodest_conn = 1, which lvsd sets for UDP services) the
     * next datagrams after the removal are scheduled afresh: another server answers within the bound. With
     * {@code quiesce} and expire_nodest_conn = 0 the client stays bound to the dead server for as long as it keeps
     * sending: the classic LVS trap.
     */
    @Test
    void aUdpClientWithAFixedPortMovesOffADeadServerWithRemoveAndIsStuckWithQuiesce() throws Exception {
        assertThat(Sh.run(null, "ip", "netns", "exec", net.name("d1"), "sysctl", "-n", "net.ipv4.vs.expire_nodest_conn")
                .out().trim()).as("lvsd turns it on for UDP services").isEqualTo("1");
        UdpRun remove = udpFailover(40001, Duration.ofSeconds(15));
        System.out.printf("health: UDP client on a fixed port answered by %s again %d ms after %s died (remove; bound "
                + "%d ms)%n", remove.other, remove.millis, remove.first, BOUND.toMillis());
        assertThat(remove.millis).as("ms until another server answered the same client port")
                .isBetween(0L, BOUND.toMillis());

        int reloads = lvsd.output().split("reload done", -1).length;
        Files.writeString(conf, CONFIG.formatted("quiesce"));
        lvsd.signal("HUP");
        await().atMost(Duration.ofSeconds(30)).until(() -> lvsd.output().split("reload done", -1).length > reloads);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> service("UDP  10.99.0.100:5353").contains("10.99.0.21:5353")
                        && service("UDP  10.99.0.100:5353").contains("10.99.0.22:5353"));
        Sh.ok("ip", "netns", "exec", net.name("d1"), "sysctl", "-qw", "net.ipv4.vs.expire_nodest_conn=0");
        UdpRun quiesce = udpFailover(40002, Duration.ofSeconds(8));
        System.out.printf("health: with quiesce and expire_nodest_conn=0 the client stayed on dead %s for %d ms "
                + "(answered by another server: %s)%n", quiesce.first, quiesce.millis, quiesce.other);
        assertThat(quiesce.other).as("no other server answered the stuck client within 8 s").isNull();
        assertThat(quiesce.table).as("the dead server is quiesced, not removed")
                .containsPattern("10\\.99\\.0\\.2" + quiesce.first.substring(1) + ":5353\\s+Route\\s+0\\s");
        assertThat(remove.table).as("the dead server was removed").doesNotContain("10.99.0.2" + remove.first.substring(1) + ":");
        // Back to the safe setting for whoever runs next.
        Files.writeString(conf, CONFIG.formatted("remove"));
        lvsd.signal("HUP");
    }

    /** @param table the UDP service in ipvsadm -Ln when the watch ended, before the dead server was restored */
    record UdpRun(String first, String other, long millis, String table) {
    }

    /**
     * c1 sends from {@code port} to the UDP VIP every 100 ms; once a server answers, its UDP listener is closed and
     * the client keeps sending, at most {@code watch}: which server answered afterwards, and when. The dead
     * server's listener is restored at the end and the test waits until both are in the table at weight 1 again.
     */
    static UdpRun udpFailover(int port, Duration watch) throws Exception {
        DatagramSocket client = NetNamespace.call(net.name("c1"), () -> {
            // Not connected: a server bound to 0.0.0.0 answers from its own address, not the VIP (the name in the
            // answer says who it was).
            DatagramSocket d = new DatagramSocket(new InetSocketAddress("10.99.0.50", port));
            d.setSoTimeout(100);
            return d;
        });
        try (client) {
            String first = null;
            long killed = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            for (int n = 0; ; n++) {
                String who = exchange(client, n);
                if (first == null && who != null) {
                    first = who;
                    udp.remove(first).close();
                    killed = System.nanoTime();
                    deadline = killed + watch.toNanos();
                } else if (first != null && who != null && !who.equals(first)) {
                    UdpRun r = new UdpRun(first, who, millisSince(killed), service("UDP  10.99.0.100:5353"));
                    restoreUdp(first);
                    return r;
                }
                if (System.nanoTime() > deadline) {
                    assertThat(first).as("some server answered the UDP client").isNotNull();
                    UdpRun r = new UdpRun(first, null, millisSince(killed), service("UDP  10.99.0.100:5353"));
                    restoreUdp(first);
                    return r;
                }
            }
        }
    }

    /** One datagram and at most 100 ms for the answer: the answering server's name, or null. */
    static String exchange(DatagramSocket client, int n) throws IOException {
        long t = System.nanoTime();
        byte[] out = ("ping " + n).getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(out, out.length, new InetSocketAddress(VIP, 5353)));
        String who = null;
        try {
            byte[] buf = new byte[512];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            client.receive(p);
            who = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII).split(" ", 2)[0];
        } catch (java.net.PortUnreachableException | SocketTimeoutException e) {
            // the dead server's ICMP, or no answer
        }
        long left = 100 - millisSince(t);
        if (left > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(left * 1_000_000);
        }
        return who;
    }

    static void restoreUdp(String host) throws Exception {
        startUdp(host);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> service("UDP  10.99.0.100:5353").matches("(?s).*10\\.99\\.0\\.21:5353\\s+Route\\s+1\\s.*")
                        && service("UDP  10.99.0.100:5353").matches("(?s).*10\\.99\\.0\\.22:5353\\s+Route\\s+1\\s.*"));
    }

    /**
     * {@code check.through-vip}: r3 listens on :80 but lacks the VIP 10.99.0.101, so it drops everything IPVS forwards
     * to it, while an ordinary check of its own address passes. The service {@code plain} (an ordinary check) keeps it
     * and its clients time out; the service {@code via} checks through the VIP and leaves it out, until the VIP is put
     * on r3's {@code lo}; then all answer through the VIP. r4 is a TUN real server, probed inside an IPIP tunnel from
     * the namespace. The probes leave from lvsd's probe namespace, whose macvlan on d1's eth0 carries 10.99.0.250.
     */
    @Test
    void aCheckThroughTheVipLeavesOutADrRealServerThatDropsForwardedTraffic() throws Exception {
        String extra = """
                through-vip.addresses = [ { address = "10.99.0.250/24", interface = eth0 } ]
                virtual-servers += { name = via, address = "10.99.0.101:80", scheduler = rr, forwarding = dr,
                  check { type = tcp, interval = 1s, timeout = 2s, retries = 1, rise = 1, alpha = true, through-vip = true },
                  real-servers = [ { address = "10.99.0.21:80" }, { address = "10.99.0.23:80" },
                    { address = "10.99.0.24:80", forwarding = tun } ] }
                virtual-servers += { name = plain, address = "10.99.0.102:80", scheduler = rr, forwarding = dr,
                  check { type = tcp, interval = 1s, timeout = 2s, retries = 1, rise = 1 },
                  real-servers = [ { address = "10.99.0.23:80" } ] }
                """;
        net.link("r3", "eth0", "lan", "10.99.0.23/24");
        net.exec("r3", "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2");
        startTcp("r3");
        // r4, a TUN real server (IPIP): tunl0 up with the VIP, no rp_filter; probed inside an IPIP tunnel.
        net.link("r4", "eth0", "lan", "10.99.0.24/24");
        net.exec("r4", "ip", "link", "set", "tunl0", "up");
        net.exec("r4", "ip", "addr", "add", "10.99.0.101/32", "dev", "tunl0");
        net.exec("r4", "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.tunl0.rp_filter=0",
                "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2");
        startTcp("r4");
        net.exec("r1", "ip", "addr", "add", "10.99.0.101/32", "dev", "lo");
        net.exec("d1", "ip", "addr", "add", "10.99.0.101/24", "dev", "eth0");
        net.exec("d1", "ip", "addr", "add", "10.99.0.102/24", "dev", "eth0");
        int reloads = lvsd.output().split("reload done", -1).length;
        try {
            Files.writeString(conf, CONFIG.formatted("remove") + extra);
            lvsd.signal("HUP");
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).until(() -> lvsd.output().split("reload done", -1).length > reloads);
            // The reload starts the namespace's helper (a JVM: tens of seconds in this guest); until then the
            // probes through the VIP fail, and alpha keeps both servers out meanwhile.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> lvsd.output().contains("health: via 10.99.0.21:80 (tcp) UP")
                            || lvsd.output().contains("through-vip: the probe namespace: "));
            assertThat(lvsd.output()).as(lvsd.output()).doesNotContain("through-vip: the probe namespace: ");
            System.out.printf("health: through the VIP: r1 up %d ms after the reload%n", millisSince(t0));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> lvsd.output().contains("health: via 10.99.0.24:80 (tcp) UP"));
            // r3 stays out: probes through the VIP go unanswered, probe after probe.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !service("TCP  10.99.0.101:80").contains("10.99.0.23:80"));
            // The fault in traffic: through plain (r3 only, an ordinary check that passes) clients time out.
            assertThat(service("TCP  10.99.0.102:80")).contains("10.99.0.23:80");
            assertThat(request("10.99.0.102")).as("plain -> r3 without the VIP").isNull();
            // The probe through the VIP found it: via leaves r3 out, and its clients all reach r1.
            String via = service("TCP  10.99.0.101:80");
            assertThat(via).contains("10.99.0.21:80", "10.99.0.24:80").doesNotContain("10.99.0.23:80");
            java.util.Set<String> before = new java.util.TreeSet<>();
            for (int i = 0; i < 4; i++) {
                before.add(String.valueOf(request("10.99.0.101")));
            }
            assertThat(before).as("rr over r1 (DR) and r4 (TUN), never r3").containsExactly("r1", "r4");
            // The fix: the VIP on r3's lo. The check through the VIP passes and r3 takes traffic.
            net.exec("r3", "ip", "addr", "add", "10.99.0.101/32", "dev", "lo");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> service("TCP  10.99.0.101:80").contains("10.99.0.23:80"));
            java.util.Set<String> seen = new java.util.TreeSet<>();
            for (int i = 0; i < 6; i++) {
                seen.add(String.valueOf(request("10.99.0.101")));
            }
            assertThat(seen).as("rr over r1, r3 and r4 through the VIP").containsExactly("r1", "r3", "r4");
            assertThat(lvsd.output()).contains("health: via 10.99.0.23:80 (tcp) UP");
        } finally {
            Files.writeString(conf, CONFIG.formatted("remove"));
            lvsd.signal("HUP");
        }
    }

    /** Who answers a new TCP connection from c1 to {@code vip}:80, or null (refused, or silent for 1 s). */
    static String request(String vip) throws Exception {
        return NetNamespace.call(net.name("c1"), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(vip, 80), 1000);
                s.setSoTimeout(2000);
                return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            } catch (IOException e) {
                return null;
            }
        });
    }
}
