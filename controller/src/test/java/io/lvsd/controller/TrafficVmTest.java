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
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real traffic through VIPs that {@code lvsd run} programs, in namespaces inside the lab VM:
 * LVS-NAT with a port remap, LVS-DR and LVS-TUN, each wrr 3:1; then a restart of lvsd while
 * connections are open and new ones keep coming, and scheduler changes under a stream of new connections.
 *
 * <pre>
 *  c1 10.99.0.50 ──┐                         ┌── n1 10.98.0.21:80   (NAT, gw 10.98.0.1)
 *                  ├─ lan br0 ─ d1 ─ in br0 ─┤
 *  r1 10.99.0.21 ──┤  10.99.0.11   10.98.0.1 └── n2 10.98.0.22:8080 (NAT, port remap)
 *  r2 10.99.0.22 ──┘  VIPs .100 (NAT) .101 (DR) .102 (TUN)
 *  r1, r2: VIP .101 on lo (arp_ignore=1, arp_announce=2), .102 on tunl0 (rp_filter 0)
 * </pre>
 */
class TrafficVmTest {
    private static Netns net;
    private static LvsdProcess lvsd;
    private static Path conf;
    private static final List<ServerSocket> servers = new ArrayList<>();
    private static final AtomicBoolean stopping = new AtomicBoolean();

    @BeforeAll
    static void lab() throws Exception {
        KernelLab.requireIpvs();
        net = new Netns("lvsd-t");
        net.bridge("lan");
        net.bridge("in");
        net.link("c1", "eth0", "lan", "10.99.0.50/24");
        net.link("d1", "eth0", "lan", "10.99.0.11/24");
        for (String vip : List.of("10.99.0.100/24", "10.99.0.101/24", "10.99.0.102/24")) {
            net.exec("d1", "ip", "addr", "add", vip, "dev", "eth0");
        }
        net.link("d1", "eth1", "in", "10.98.0.1/24");
        net.exec("d1", "sysctl", "-qw", "net.ipv4.ip_forward=1");
        for (String[] n : new String[][] {{"n1", "10.98.0.21"}, {"n2", "10.98.0.22"}}) {
            net.link(n[0], "eth0", "in", n[1] + "/24");
            net.exec(n[0], "ip", "route", "add", "default", "via", "10.98.0.1");
        }
        for (String[] r : new String[][] {{"r1", "10.99.0.21"}, {"r2", "10.99.0.22"}}) {
            net.link(r[0], "eth0", "lan", r[1] + "/24");
            net.exec(r[0], "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                    "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2");
            net.exec(r[0], "ip", "addr", "add", "10.99.0.101/32", "dev", "lo");
            net.exec(r[0], "ip", "link", "set", "tunl0", "up");
            net.exec(r[0], "ip", "addr", "add", "10.99.0.102/32", "dev", "tunl0");
            net.exec(r[0], "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.tunl0.rp_filter=0",
                    "net.ipv4.conf.eth0.rp_filter=0");
        }
        // Each real server answers HTTP with its own name, and echoes lines prefixed with it.
        serve("n1", "10.98.0.21", 80, "n1");
        serve("n2", "10.98.0.22", 8080, "n2");
        for (String r : List.of("r1", "r2")) {
            serve(r, "0.0.0.0", 80, r);
            serve(r, "0.0.0.0", 7, r);
        }
        conf = Files.createTempFile("lvsd-traffic", ".conf");
        Files.writeString(conf, """
                director.name = lab-d1
                virtual-servers = [
                  { name = nat, address = "10.99.0.100:80", scheduler = wrr, forwarding = nat, check.type = none,
                    real-servers = [ { address = "10.98.0.21:80", weight = 3 }, { address = "10.98.0.22:8080", weight = 1 } ] }
                  { name = dr, address = "10.99.0.101:80", scheduler = wrr, forwarding = dr, check.type = none,
                    real-servers = [ { address = "10.99.0.21:80", weight = 3 }, { address = "10.99.0.22:80", weight = 1 } ] }
                  { name = tun, address = "10.99.0.102:80", scheduler = wrr, forwarding = tun, check.type = none,
                    real-servers = [ { address = "10.99.0.21:80", weight = 3 }, { address = "10.99.0.22:80", weight = 1 } ] }
                  { name = echo, address = "10.99.0.101:7", scheduler = rr, forwarding = dr, check.type = none,
                    real-servers = [ { address = "10.99.0.21:7" }, { address = "10.99.0.22:7" } ] }
                ]
                """);
        lvsd = startLvsd();
    }

    static LvsdProcess startLvsd() throws Exception {
        LvsdProcess p = LvsdProcess.startIn(net.name("d1"), Map.of(), "run", "-f", conf.toString());
        await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(250))
                .until(() -> !p.alive() || Sh.run(null, "ip", "netns", "exec", net.name("d1"), "ipvsadm", "-Sn").out()
                        .contains("10.99.0.22:7"));
        assertThat(p.alive()).as(p.output()).isTrue();
        await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> NetNamespace.call(net.name("d1"), () -> httpGet("/healthz")).contains("ok"));
        return p;
    }

    @AfterAll
    static void teardown() throws Exception {
        stopping.set(true);
        if (lvsd != null) {
            lvsd.close();
        }
        for (ServerSocket s : servers) {
            s.close();
        }
        if (net != null) {
            net.close();
        }
    }

    /** A server in namespace {@code host}: HTTP on 80/8080 answering its name; line echo on 7. */
    static void serve(String host, String addr, int port, String name) throws Exception {
        ServerSocket ss = NetNamespace.call(net.name(host), () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(addr, port), 512);
            return s;
        });
        servers.add(ss);
        Thread t = new Thread(() -> {
            while (!stopping.get()) {
                try {
                    Socket c = ss.accept();
                    Thread h = new Thread(() -> handle(c, port, name));
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "serve-" + name + "-" + port);
        t.setDaemon(true);
        t.start();
    }

    static void handle(Socket c, int port, String name) {
        try (c) {
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = c.getOutputStream();
            if (port == 7) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write((name + ":" + line + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                return;
            }
            while (true) {
                String line = in.readLine();
                if (line == null || line.isEmpty()) {
                    break;
                }
            }
            byte[] body = (name + "\n").getBytes(StandardCharsets.US_ASCII);
            out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        } catch (IOException e) {
            // client went away
        }
    }

    /** One HTTP GET from the client namespace; returns the real server's name. */
    static String get(String vip) throws Exception {
        return NetNamespace.call(net.name("c1"), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(vip, 80), 3000);
                s.setSoTimeout(5000);
                s.getOutputStream().write(("GET / HTTP/1.0\r\nHost: " + vip + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String resp = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                return resp.substring(resp.indexOf("\r\n\r\n") + 4).trim();
            }
        });
    }

    static Map<String, Integer> split(String vip, int requests) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            counts.merge(get(vip), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void natWithPortRemapSplitsThreeToOne() throws Exception {
        Map<String, Integer> c = split("10.99.0.100", 400);
        assertThat(c.keySet()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(c.get("n1")).isBetween(270, 330);
        assertThat(c.get("n2")).isBetween(70, 130);
    }

    @Test
    void directRoutingSplitsThreeToOne() throws Exception {
        Map<String, Integer> c = split("10.99.0.101", 400);
        assertThat(c.keySet()).containsExactlyInAnyOrder("r1", "r2");
        assertThat(c.get("r1")).isBetween(270, 330);
    }

    @Test
    void tunnellingSplitsThreeToOne() throws Exception {
        Map<String, Integer> c = split("10.99.0.102", 400);
        assertThat(c.keySet()).containsExactlyInAnyOrder("r1", "r2");
        assertThat(c.get("r1")).isBetween(270, 330);
    }

    @Test
    void statusAndMetricsShowTheLiveTable() throws Exception {
        split("10.99.0.100", 10);
        String status = NetNamespace.call(net.name("d1"), () -> httpGet("/status"));
        assertThat(status).contains("\"name\" : \"nat\"", "\"address\" : \"10.98.0.22:8080\"", "\"available\" : true");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(NetNamespace.call(net.name("d1"), () -> httpGet("/metrics")))
                        .contains("lvsd_ipvs_service_connections_total{service=\"nat\"}")
                        .contains("lvsd_ipvs_real_server_connections_total{real_server=\"10.98.0.21:80\",service=\"nat\"}"));
    }

    static String httpGet(String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", 9180)) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRestartOfLvsdWithTrafficFlowingDropsNoConnection() throws Exception {
        // 20 long-lived connections through the DR VIP, each pinned to its real server.
        List<Socket> conns = new ArrayList<>();
        List<String> owner = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Socket s = NetNamespace.call(net.name("c1"), () -> {
                Socket x = new Socket();
                x.connect(new InetSocketAddress("10.99.0.101", 7), 3000);
                x.setSoTimeout(5000);
                return x;
            });
            conns.add(s);
            owner.add(echo(s, "hello " + i).split(":")[0]);
        }
        // New connections keep coming while lvsd stops and starts again.
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicBoolean run = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
            while (run.get() && System.nanoTime() < deadline && ok.get() + failed.get() < 5000) {
                try {
                    get("10.99.0.101");
                    ok.incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
                // Paced like a client, not a flood: on the one emulated CPU a tight loop starved the restarting
                // lvsd's JVM past its start bound.
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
        });
        load.start();
        lvsd.signal("TERM");
        assertThat(lvsd.waitFor(60)).isZero();
        assertThat(Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-Sn")).contains("10.99.0.101:80");
        lvsd = startLvsd();
        int before = ok.get();
        await().atMost(Duration.ofSeconds(180)).until(() -> ok.get() > before + 20);
        run.set(false);
        load.join();
        for (int i = 0; i < conns.size(); i++) {
            assertThat(echo(conns.get(i), "again " + i)).isEqualTo(owner.get(i) + ":again " + i);
            conns.get(i).close();
        }
        assertThat(failed.get()).as("requests that failed across the restart (of %d)", ok.get()).isZero();
        assertThat(lvsd.output()).doesNotContain("\tat ");
    }

    /**
     * New connections that a scheduler change refuses: the kernel binds the new scheduler an RCU grace period after
     * unbinding the old, and IPVS answers a SYN in between with a port unreachable. First, as a measurement printed
     * beside lvsd's, {@code ipvsadm -E} flips a service lvsd does not own; then lvsd flips its echo service by reload,
     * with its nftables guard up for each edit. Asserted: no connection to lvsd's service was refused or failed, and
     * the guard held back at least one SYN that met the window (without that the run proved nothing).
     */
    @Test
    void schedulerChangesUnderASynStreamRefuseNoConnection() throws Exception {
        int flips = 16;
        Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-A", "-t", "10.99.0.100:7", "-s", "rr");
        Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-a", "-t", "10.99.0.100:7", "-r", "10.98.0.21:80",
                "-m");
        String original = Files.readString(conf);
        String echoRr = "{ name = echo, address = \"10.99.0.101:7\", scheduler = rr,";
        assertThat(original).contains(echoRr);
        try {
            int[] ipvsadm;
            try (SynStream s = new SynStream("10.99.0.100", 7)) {
                for (int i = 0; i < flips; i++) {
                    Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-E", "-t", "10.99.0.100:7", "-s",
                            i % 2 == 0 ? "wrr" : "rr");
                    LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
                }
                ipvsadm = s.stop();
            }
            int[] lvsdFlips;
            long heldBefore = count(lvsd.output(), "held back to retry");
            try (SynStream s = new SynStream("10.99.0.101", 7)) {
                for (int i = 0; i < flips; i++) {
                    String text = i % 2 == 0 ? original.replace(echoRr, echoRr.replace("rr,", "wrr,")) : original;
                    reload(text);
                }
                lvsdFlips = s.stop();
            }
            List<Long> held = lvsd.output().lines().filter(l -> l.contains("held back to retry"))
                    .skip(heldBefore).map(l -> Long.parseLong(l.replaceAll(".*switched; (\\d+) new connection.*", "$1")))
                    .toList();
            System.out.printf("scheduler flips under a SYN stream, %d each: ipvsadm -E: %d connected, %d refused, "
                    + "%d failed otherwise; lvsd: %d connected, %d refused, %d failed otherwise, %d SYN(s) held back "
                    + "by the guard%n", flips, ipvsadm[0], ipvsadm[1], ipvsadm[2], lvsdFlips[0], lvsdFlips[1],
                    lvsdFlips[2], held.stream().mapToLong(Long::longValue).sum());
            assertThat(held).as("lvsd's guarded switches" + lvsd.output()).hasSize(flips);
            assertThat(lvsdFlips[1]).as("connections refused while lvsd switched schedulers").isZero();
            assertThat(lvsdFlips[2]).as("connections that failed otherwise while lvsd switched schedulers").isZero();
            assertThat(lvsdFlips[0]).as("connections made").isGreaterThan(flips);
            assertThat(held.stream().mapToLong(Long::longValue).sum())
                    .as("SYNs that met the kernel's switch window and that the guard held back: none means the "
                            + "stream never met the window and this run proved nothing").isPositive();
        } finally {
            Sh.run(null, "ip", "netns", "exec", net.name("d1"), "ipvsadm", "-D", "-t", "10.99.0.100:7");
            reload(original);
        }
        assertThat(Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-Sn")).contains("-A -t 10.99.0.101:7 -s rr");
    }

    /** Writes {@code text} to lvsd's configuration file, sends SIGHUP and waits for the reload to be done. */
    /**
     * Malformed sync datagrams at a running director's own sync listener (the one behind the fail-back gate), on the
     * real kernel with its sync daemons running: sync is turned on by a reload, the client on the sync segment sends
     * SyncWatchIT's 2,000 hostile datagrams (500 a second; none for this director's sync id, which the kernel's backup
     * daemon would take in), then the kernel's own message. lvsd lives, logs no stack trace, and every datagram is
     * counted: as undecodable, as a message, or as dropped unread by the kernel.
     */
    @Test
    void aRunningDirectorsSyncListenerCountsEveryHostileDatagram() throws Exception {
        String original = Files.readString(conf);
        List<byte[]> hostile = SyncWatchIT.hostile(200);
        byte[] good = java.util.HexFormat.of().parseHex(SyncWatchIT.KERNEL_V1);
        long malformed = hostile.stream().filter(b -> io.lvsd.sync.internal.SyncCodec.decode(b)
                instanceof io.lvsd.sync.internal.SyncCodec.Malformed).count();
        int logFrom = lvsd.output().length();
        try {
            reload(original + "\nsync-daemon { interface = eth0, sync-id = 200 }\n");
            // The listener is up once it has heard the client: a good message every 500 ms until then (at most 120).
            long[] before = new long[3];
            for (int i = 0; i < 120 && before[1] == 0; i++) {
                sendSync(List.of(good), 0);
                LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
                before = syncCounts();
            }
            assertThat(before[1]).as("the running director's listener heard the client" + lvsd.output()).isPositive();
            long[] base = syncCounts();
            long t0 = System.nanoTime();
            sendSync(hostile, 2_000_000L);
            sendSync(List.of(good), 0);
            long sent = hostile.size() + 1;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> total(syncCounts()) - total(base) >= sent);
            long[] after = syncCounts();
            long errors = after[0] - base[0];
            long messages = after[1] - base[1];
            long dropped = after[2] - base[2];
            System.out.printf("sync flood at a running director: %d datagrams in %.1f s (%d malformed): %d counted "
                    + "undecodable, %d decoded, %d dropped unread by the kernel and counted%n", sent,
                    (System.nanoTime() - t0) / 1e9, malformed, errors, messages, dropped);
            assertThat(errors + messages + dropped).as("every datagram counted once").isEqualTo(sent);
            assertThat(errors).as("undecodable ones counted as such").isPositive().isLessThanOrEqualTo(malformed);
            assertThat(messages).isLessThanOrEqualTo(sent - malformed);
            assertThat(lvsd.alive()).isTrue();
            assertThat(lvsd.output().substring(logFrom)).doesNotContain("\tat ").doesNotContain("Exception");
        } finally {
            reload(original);
        }
    }

    /** Sends {@code datagrams} from the client to the sync group on the LAN, {@code gapNanos} apart. */
    static void sendSync(List<byte[]> datagrams, long gapNanos) throws Exception {
        NetNamespace.call(net.name("c1"), () -> {
            try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open(
                    java.net.StandardProtocolFamily.INET)) {
                ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_IF, java.net.NetworkInterface.getByName("eth0"));
                InetSocketAddress group = new InetSocketAddress("224.0.0.81", 8848);
                long next = System.nanoTime();
                for (byte[] b : datagrams) { // bounded by the list: at most 2,000 and a few
                    ch.send(java.nio.ByteBuffer.wrap(b), group);
                    next += gapNanos;
                    LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
                }
            }
            return null;
        });
    }

    /** The director's counts of what it heard from the client: {undecodable, messages, dropped unread}. */
    static long[] syncCounts() throws Exception {
        String metrics = NetNamespace.call(net.name("d1"), () -> httpGet("/metrics"));
        long[] c = new long[3];
        for (String line : metrics.split("\n")) {
            int sp = line.lastIndexOf(' ');
            if (!line.startsWith("lvsd_sync_") || sp < 0) {
                continue;
            }
            long v = (long) Double.parseDouble(line.substring(sp + 1));
            if (line.startsWith("lvsd_sync_decode_errors_total{") && line.contains("sender=\"10.99.0.50\"")) {
                c[0] += v;
            } else if (line.startsWith("lvsd_sync_messages_total{") && line.contains("sender=\"10.99.0.50\"")) {
                c[1] += v;
            } else if (line.startsWith("lvsd_sync_receive_dropped_total ")) {
                c[2] += v;
            }
        }
        return c;
    }

    static long total(long[] counts) {
        return counts[0] + counts[1] + counts[2];
    }

    static void reload(String text) throws Exception {
        Files.writeString(conf, text);
        int done = count(lvsd.output(), "reload done");
        lvsd.signal("HUP");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> count(lvsd.output(), "reload done") > done || lvsd.output().contains("reload failed"));
        assertThat(lvsd.output()).doesNotContain("reload failed");
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * New connections, one after the other, from the client to VIP:port, each closed at once: counts connected,
     * refused, and failed otherwise. Paced (5 ms between connections) so as not to starve the emulated guest;
     * bounded at 20,000 connections and 5 minutes.
     */
    static final class SynStream implements AutoCloseable {
        final AtomicInteger connected = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicBoolean run = new AtomicBoolean(true);
        final Thread thread;

        SynStream(String vip, int port) {
            thread = new Thread(() -> {
                try {
                    NetNamespace.call(net.name("c1"), () -> {
                        loop(vip, port);
                        return null;
                    });
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
            }, "syn-stream");
            thread.setDaemon(true);
            thread.start();
        }

        /** In the client's namespace (this thread entered it): sockets opened here are the client's. */
        private void loop(String vip, int port) {
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (run.get() && System.nanoTime() < deadline && connected.get() + refused.get() + failed.get() < 20_000) {
                try (Socket x = new Socket()) {
                    x.connect(new InetSocketAddress(vip, port), 5000);
                    connected.incrementAndGet();
                } catch (java.net.ConnectException e) {
                    (String.valueOf(e.getMessage()).contains("refused") ? refused : failed).incrementAndGet();
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
        }

        /** Stops the stream: connected, refused, failed otherwise. */
        int[] stop() throws InterruptedException {
            run.set(false);
            thread.join(15_000);
            return new int[] {connected.get(), refused.get(), failed.get()};
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    static String echo(Socket s, String line) throws IOException {
        PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
        w.print(line + "\n");
        w.flush();
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    @Test
    void connectionListingMatchesIpvsadm() throws Exception {
        List<Socket> conns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = NetNamespace.call(net.name("c1"), () -> {
                Socket x = new Socket();
                x.connect(new InetSocketAddress("10.99.0.101", 7), 3000);
                x.setSoTimeout(5000);
                return x;
            });
            echo(s, "hi");
            conns.add(s);
        }
        try {
            String lvsdOut = NetNamespace.call(net.name("d1"), () -> {
                java.io.StringWriter out = new java.io.StringWriter();
                var cl = Main.commandLine();
                cl.setOut(new PrintWriter(out, true));
                assertThat(cl.execute("ipvs", "list", "--connections")).isZero();
                return out.toString();
            });
            String ipvsadm = Sh.ok("ip", "netns", "exec", net.name("d1"), "ipvsadm", "-Lnc");
            // Between the two reads expiry counts down and closing entries move on: compare the
            // headers and the established echo connections, which stay put.
            java.util.function.Function<String, List<String>> masked = t -> t.lines()
                    .filter(l -> !l.startsWith("TCP") || (l.contains("ESTABLISHED") && l.contains("10.99.0.101:7")))
                    .map(l -> l.replaceAll(" \\d\\d:\\d\\d ", " mm:ss ")).sorted().toList();
            assertThat(masked.apply(lvsdOut)).isEqualTo(masked.apply(ipvsadm));
            assertThat(lvsdOut).contains("ESTABLISHED").contains("10.99.0.101:7");
        } finally {
            for (Socket s : conns) {
                s.close();
            }
        }
    }

    @Test
    void countersComeFromTheKernelAndZeroResetsThem() throws Exception {
        split("10.99.0.102", 8);
        // The kernel folds per-CPU counters into the totals every 2 s (its rate estimator).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> tunConnections(false) >= 8);
        tunConnections(true);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> tunConnections(false) == 0);
    }

    /** The TUN service's connection counter, read over netlink in d1; zeroes every counter first when asked. */
    static long tunConnections(boolean zero) throws Exception {
        return NetNamespace.call(net.name("d1"), () -> {
            try (io.lvsd.ipvs.NetlinkIpvsClient c = io.lvsd.ipvs.NetlinkIpvsClient.open()) {
                if (zero) {
                    c.zero();
                }
                return c.dump().stream().filter(x -> x.service().key().describe().equals("tcp 10.99.0.102:80"))
                        .findFirst().orElseThrow().stats().connections();
            }
        });
    }
}
