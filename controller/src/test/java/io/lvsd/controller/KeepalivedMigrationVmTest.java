package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.keepalived.KeepalivedImport;
import io.lvsd.keepalived.KeepalivedReader;
import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Sh;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Migration from keepalived, proven on the real kernel (issue 17).
 *
 * <p><b>Side by side.</b> Four keepalived configurations (NAT with HTTP checks and a sorry server; DR with TCP checks,
 * a firewall mark and persistence; TUN with a dynamic MISC_CHECK; a virtual_server_group with UDP and DNS checks)
 * run first under keepalived (the Debian package) alone in d2, then, imported by {@code lvsd import keepalived}'s
 * code, under lvsd alone, against the same live real servers. For each: {@code ipvsadm -Sn} byte for byte,
 * {@code ipvsadm -L --timeout} and {@code --daemon}, the VIPs on each interface, and the adverts on the wire as
 * tshark dissects them; then one real server stops and the tables are compared again (removed, or weight 0 with
 * inhibit_on_failure). lvsd starts once and takes configurations two to four by reload, as an operator would.
 *
 * <p><b>Interop.</b> Then a keepalived director (d1, the master's file) and an lvsd director (d2, the import of the
 * backup's file) form one VRRP pair with connection sync, and fail over both ways with client connections open.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeepalivedMigrationVmTest {
    static final String VIP = HaLab.VIP;
    static final Duration CONVERGE = Duration.ofSeconds(240);
    static final Path SCRIPTS = Path.of("/tmp/lvsd-ka-scripts");

    private static HaLab lab;
    private static final List<Closeable> services = new ArrayList<>();
    /** What keepalived programmed, per configuration: first alive, then with one real server stopped. */
    private static final Map<String, Snapshot[]> keepalived = new LinkedHashMap<>();

    /** The configurations, with the real server each one stops. */
    record Case(String name, String conf, String stops) {}

    static final String HEAD = """
            global_defs {
                router_id d2
                script_user nobody
            %s}
            vrrp_instance VI_1 {
                state BACKUP
                interface eth0
                virtual_router_id 61
                priority %d
                %s
                virtual_ipaddress {
                    %s/24
                }
            }
            """;

    static List<Case> cases() {
        String weight = SCRIPTS.resolve("weight.sh").toString();
        return List.of(
                new Case("nat-http-sorry", HEAD.formatted("    lvs_timeouts tcp 900 tcpfin 60 udp 120\n", 100,
                        "advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass lab2\n    }", VIP) + """
                        virtual_server %1$s 80 {
                            delay_loop 2
                            lb_algo wrr
                            lb_kind NAT
                            protocol TCP
                            quorum 4
                            sorry_server 10.98.0.30 80
                            real_server 10.98.0.21 80 {
                                weight 3
                                HTTP_GET {
                                    url {
                                        path /health
                                        status_code 200
                                    }
                                    connect_timeout 1
                                    retry 0
                                    delay_before_retry 1
                                }
                            }
                            real_server 10.98.0.22 80 {
                                weight 1
                                HTTP_GET {
                                    url {
                                        path /health
                                        status_code 200
                                    }
                                    connect_timeout 1
                                    retry 0
                                    delay_before_retry 1
                                }
                            }
                        }
                        """.formatted(VIP), "n1"),
                new Case("dr-tcp-fwmark", HEAD.formatted("    lvs_sync_daemon eth0 VI_1 id 9\n", 120,
                        "version 3\n    advert_int 0.5", VIP) + """
                        virtual_server %1$s 23 {
                            delay_loop 2
                            lb_algo sh
                            sh-port
                            lb_kind DR
                            persistence_timeout 300
                            persistence_granularity 255.255.255.0
                            protocol TCP
                            inhibit_on_failure
                            real_server 10.99.0.21 23 {
                                weight 2
                                TCP_CHECK {
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                            real_server 10.99.0.22 23 {
                                weight 2
                                TCP_CHECK {
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                        }
                        virtual_server fwmark 5 {
                            delay_loop 2
                            lb_algo wrr
                            lb_kind DR
                            persistence_timeout 60
                            real_server 10.99.0.21 0 {
                                TCP_CHECK {
                                    connect_port 23
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                            real_server 10.99.0.22 0 {
                                TCP_CHECK {
                                    connect_port 23
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                        }
                        """.formatted(VIP), "r1"),
                new Case("tun-misc-dynamic", HEAD.formatted("", 110, "advert_int 1", VIP) + """
                        virtual_server %1$s 8080 {
                            delay_loop 2
                            lb_algo wlc
                            lb_kind TUN
                            protocol TCP
                            real_server 10.98.0.21 8080 {
                                weight 5
                                MISC_CHECK {
                                    misc_path "%2$s 12 %3$s/n1.down"
                                    misc_timeout 2
                                    misc_dynamic
                                }
                            }
                            real_server 10.98.0.22 8080 {
                                weight 5
                                MISC_CHECK {
                                    misc_path "%2$s 7 %3$s/n2.down"
                                    misc_timeout 2
                                    misc_dynamic
                                }
                            }
                        }
                        """.formatted(VIP, weight, SCRIPTS), "n1"),
                new Case("group-udp-dns", HEAD.formatted("", 90, "version 3\n    advert_int 1", VIP) + """
                        virtual_server_group DNS {
                            %1$s 53
                            10.99.0.101-102 53
                        }
                        virtual_server group DNS {
                            delay_loop 2
                            lb_algo rr
                            lb_kind NAT
                            protocol UDP
                            real_server 10.98.0.21 53 {
                                DNS_CHECK {
                                    type A
                                    name lab.test
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                            real_server 10.98.0.22 53 {
                                DNS_CHECK {
                                    type A
                                    name lab.test
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                        }
                        virtual_server %1$s 5000 {
                            delay_loop 2
                            lb_algo rr
                            lb_kind NAT
                            protocol UDP
                            real_server 10.98.0.21 5000 {
                                UDP_CHECK {
                                    payload 6c6162
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                            real_server 10.98.0.22 5000 {
                                UDP_CHECK {
                                    payload 6c6162
                                    connect_timeout 1
                                    retry 0
                                }
                            }
                        }
                        """.formatted(VIP), "n1"));
    }

    @AfterAll
    static void closeLab() throws Exception {
        for (Closeable c : services) {
            c.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    // ---- the kernel's state, as the tools show it

    /** What a director programmed, as ipvsadm, ip and tshark show it. */
    record Snapshot(String save, String timeouts, String daemons, List<String> vips) {
        String describe() {
            return "ipvsadm -Sn:\n" + save + "\ntimeouts: " + timeouts + "\ndaemons: " + daemons + "\nVIPs: " + vips;
        }
    }

    static String inD2(String... cmd) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", lab.net.name("d2")));
        full.addAll(List.of(cmd));
        return Sh.run(null, full.toArray(String[]::new)).out();
    }

    /** ipvsadm -Sn, the timeouts, the sync daemons and the VIPs (address/prefix per interface, labels aside). */
    static Snapshot kernel() throws Exception {
        List<String> vips = new ArrayList<>();
        for (String l : Sh.run(null, "ip", "-n", lab.net.name("d2"), "-o", "-4", "addr", "show").out().split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length > 3 && !f[3].startsWith("10.99.0.12/") && !f[3].startsWith("10.98.0.12/")
                    && !f[3].startsWith("127.")) {
                vips.add(f[1] + " " + f[3]);
            }
        }
        vips.sort(null);
        String[] parts = inD2("sh", "-c", "ipvsadm -Sn; echo @@; ipvsadm -L -n --timeout; echo @@;"
                + " ipvsadm -L -n --daemon").split("@@\n", -1);
        return new Snapshot(parts[0], parts.length > 1 ? parts[1].strip() : "", parts.length > 2 ? parts[2].strip() : "",
                vips);
    }

    /** Polls until the state has not changed for 3 polls (and at least {@code minimum} passed): the daemon has settled. */
    static Snapshot settled(Duration minimum, String why, java.util.function.Predicate<Snapshot> ready)
            throws Exception {
        long start = System.nanoTime();
        Snapshot[] last = new Snapshot[1];
        int[] same = new int[1];
        try {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                Snapshot s = kernel();
                same[0] = s.equals(last[0]) ? same[0] + 1 : 0;
                last[0] = s;
                return same[0] >= 3 && ready.test(s) && System.nanoTime() - start >= minimum.toNanos();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(why + ": the kernel's state did not settle in 180 s; last:\n"
                    + (last[0] == null ? "-" : last[0].describe()) + lab.outputs());
        }
        return last[0];
    }

    /** One capture of the LAN's adverts for the whole class (c1 sees the multicast), dissected once at the end. */
    private static Process capture;
    private static Path pcap;
    /** The time window (epoch ms) in which each phase's director was a settled master, e.g. "keepalived nat-http". */
    private static final Map<String, long[]> windows = new LinkedHashMap<>();

    /** Marks the last 3 s as {@code phase}'s window: adverts sent then are that director's. */
    static void window(String phase) {
        long now = System.currentTimeMillis();
        windows.put(phase, new long[] {now - 3000, now});
    }

    /**
     * Every phase's adverts as tshark dissects them, one line per distinct advert: source, TTL, version, type, VRID,
     * priority, address count, auth type, interval (v2 seconds or v3 centiseconds), addresses, password.
     */
    static Map<String, List<String>> adverts() throws Exception {
        String out = Sh.run(null, "tshark", "-r", pcap.toString(), "-Y", "vrrp", "-T", "fields", "-E", "separator=|",
                "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.ttl", "-e", "vrrp.version", "-e", "vrrp.type",
                "-e", "vrrp.virt_rtr_id", "-e", "vrrp.prio", "-e", "vrrp.addr_count", "-e", "vrrp.auth_type",
                "-e", "vrrp.adver_int", "-e", "vrrp.short_adver_int", "-e", "vrrp.ip_addr", "-e", "vrrp.auth_string").out();
        Map<String, List<String>> byPhase = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> w : windows.entrySet()) {
            TreeSet<String> distinct = new TreeSet<>();
            for (String l : out.split("\n")) {
                // Field lines only: tshark also warns on stderr about running as root.
                int bar = l.indexOf('|');
                if (bar < 0) {
                    continue;
                }
                long t = (long) (Double.parseDouble(l.substring(0, bar)) * 1000);
                if (t >= w.getValue()[0] && t <= w.getValue()[1]) {
                    distinct.add(l.substring(bar + 1).strip());
                }
            }
            byPhase.put(w.getKey(), List.copyOf(distinct));
        }
        return byPhase;
    }

    static void resetKernel() throws Exception {
        inD2("ipvsadm", "-C");
        inD2("ipvsadm", "--stop-daemon", "master");
        inD2("ipvsadm", "--stop-daemon", "backup");
        // A baseline no configuration uses, so that a timeout only matches when the daemon set it.
        inD2("ipvsadm", "--set", "1000", "100", "100");
        Sh.run(null, "ip", "-n", lab.net.name("d2"), "addr", "flush", "dev", "eth0", "to", VIP + "/32");
    }

    // ---- the real servers, stoppable

    /** A real server's services for the four configurations: HTTP :80, TCP :23, UDP echo :5000, DNS :53. */
    static final class RealServer implements Closeable {
        final String host;
        final String addr;
        final List<Closeable> open = new ArrayList<>();
        final AtomicBoolean closed = new AtomicBoolean();

        RealServer(String host, String addr) {
            this.host = host;
            this.addr = addr;
        }

        void start() throws Exception {
            closed.set(false);
            String ns = lab.net.name(host);
            open.add(tcp(ns, addr, 80, true));
            open.add(tcp(ns, addr, 23, false));
            open.add(udp(ns, addr, 5000, false));
            open.add(udp(ns, addr, 53, true));
            Files.deleteIfExists(SCRIPTS.resolve(host + ".down"));
        }

        /** Stops every service (closed ports answer RST or ICMP port unreachable) and marks the script check down. */
        void stop() throws Exception {
            closed.set(true);
            for (Closeable c : open) {
                c.close();
            }
            open.clear();
            Files.writeString(SCRIPTS.resolve(host + ".down"), "down\n");
        }

        @Override
        public void close() throws IOException {
            for (Closeable c : open) {
                c.close();
            }
        }

        private Closeable tcp(String ns, String a, int port, boolean http) throws Exception {
            ServerSocket ss = NetNamespace.call(ns, () -> {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(a, port), 64);
                return s;
            });
            Thread t = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket c = ss.accept()) {
                        c.setSoTimeout(2000);
                        if (http) {
                            InputStream in = c.getInputStream();
                            byte[] buf = new byte[2048];
                            int n = 0;
                            int r;
                            while (n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0) {
                                n += r;
                                if (new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                                    break;
                                }
                            }
                            OutputStream out = c.getOutputStream();
                            out.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (IOException e) {
                        // a probe that went away, or the socket closed
                    }
                }
            }, "rs-" + host + "-" + port);
            t.setDaemon(true);
            t.start();
            return closing(ss, t);
        }

        /**
         * Closes {@code socket} and waits (up to 10 s) for its thread to leave its blocking call: the JDK releases a
         * socket closed under a blocked {@code accept} or {@code receive} only then, and until then a restart of the
         * server on the same port fails with "Address already in use".
         */
        private static Closeable closing(Closeable socket, Thread server) {
            return () -> {
                socket.close();
                try {
                    server.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
        }

        /** UDP: an echo, or a DNS server answering NOERROR to every query (the question echoed, no answer). */
        private Closeable udp(String ns, String a, int port, boolean dns) throws Exception {
            DatagramSocket ds = NetNamespace.call(ns, () -> new DatagramSocket(new InetSocketAddress(a, port)));
            Thread t = new Thread(() -> {
                byte[] buf = new byte[1500];
                while (!ds.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        ds.receive(p);
                        byte[] r = java.util.Arrays.copyOf(buf, p.getLength());
                        if (dns && r.length >= 12) {
                            r[2] = (byte) (0x80 | (r[2] & 0x01)); // QR, RD kept
                            r[3] = (byte) 0x80; // RA, NOERROR
                        }
                        ds.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "rs-" + host + "-udp-" + port);
            t.setDaemon(true);
            t.start();
            return closing(ds, t);
        }
    }

    private static final Map<String, RealServer> realServers = new LinkedHashMap<>();

    static void labUp() throws Exception {
        if (lab != null) {
            return;
        }
        lab = new HaLab("lvsd-ka");
        Files.createDirectories(SCRIPTS);
        Files.setPosixFilePermissions(SCRIPTS, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path w = SCRIPTS.resolve("weight.sh");
        Files.writeString(w, "#!/bin/sh\n# exit code = weight + 2 (misc_dynamic); 1 = down while the flag file exists\n"
                + "[ -e \"$2\" ] && exit 1\nexit \"$1\"\n");
        Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
        pcap = lab.dir.resolve("lan-vrrp.pcap");
        capture = new ProcessBuilder("ip", "netns", "exec", lab.net.name("c1"), "tcpdump", "-i", "eth0", "-U", "-w",
                pcap.toString(), "vrrp").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        services.add(() -> capture.destroy());
        for (String[] r : new String[][] {{"n1", "10.98.0.21"}, {"n2", "10.98.0.22"}, {"r1", "10.99.0.21"},
                {"r2", "10.99.0.22"}}) {
            RealServer s = new RealServer(r[0], r[1]);
            s.start();
            realServers.put(r[0], s);
            services.add(s);
        }
    }

    // ---- the scenarios

    @Test
    @Order(1)
    void keepalivedAloneProgramsEachConfiguration() throws Exception {
        KernelLab.requireIpvs();
        labUp();
        for (Case c : cases()) {
            resetKernel();
            Path f = lab.dir.resolve("ka-" + c.name() + ".conf");
            Files.writeString(f, c.conf());
            Process ka = keepalived("d2", f);
            try {
                Snapshot alive = settled(Duration.ofSeconds(6), "keepalived " + c.name(),
                        s -> !s.vips().isEmpty() && !s.save().isBlank());
                window("keepalived " + c.name());
                realServers.get(c.stops()).stop();
                Snapshot down = settled(Duration.ofSeconds(4), "keepalived " + c.name() + " with " + c.stops()
                        + " stopped", s -> !s.save().equals(alive.save()));
                keepalived.put(c.name(), new Snapshot[] {alive, down});
                System.out.printf("keepalived %s:%n%s%n--- with %s stopped:%n%s%n", c.name(), alive.describe(),
                        c.stops(), down.save());
            } finally {
                stopKeepalived(ka);
                realServers.get(c.stops()).start();
            }
        }
        resetKernel();
    }

    @Test
    @Order(2)
    void lvsdWithTheImportedFileProgramsTheSame() throws Exception {
        KernelLab.requireIpvs();
        assertThat(keepalived).as("keepalived's side of the comparison ran").hasSize(4);
        boolean started = false;
        for (Case c : cases()) {
            String conf = imported(c.conf(), "d2") + "\nadmin.listen = \"127.0.0.1:9180\"\n";
            if (!started) {
                inD2("ipvsadm", "--set", "1000", "100", "100");
                lab.startWith("d2", conf);
                started = true;
            } else {
                lab.configure("d2", conf);
                lab.process("d2").signal("HUP");
            }
            Snapshot want = keepalived.get(c.name())[0];
            // lvsd keeps a new master's backup sync daemon 10 s for the old master's last messages (ha-sync.md), so
            // the comparison waits for the state to match, then asserts every part of it.
            Snapshot alive = settled(Duration.ofSeconds(4), "lvsd " + c.name(),
                    s -> !s.vips().isEmpty() && s.save().equals(want.save()) && s.daemons().equals(want.daemons()));
            if (!c.conf().contains("lvs_timeouts")) {
                // Once the reload is in force (its table is there), the baseline again: a configuration without
                // timeouts must leave the kernel's alone, through a few more polls.
                inD2("ipvsadm", "--set", "1000", "100", "100");
                alive = settled(Duration.ofSeconds(3), "lvsd " + c.name() + " leaving the timeouts alone",
                        s -> !s.vips().isEmpty());
            }
            window("lvsd " + c.name());
            assertThat(alive.save()).as(c.name() + ": ipvsadm -Sn").isEqualTo(want.save());
            assertThat(alive.timeouts()).as(c.name() + ": ipvsadm -L --timeout").isEqualTo(want.timeouts());
            assertThat(alive.daemons()).as(c.name() + ": ipvsadm -L --daemon").isEqualTo(want.daemons());
            assertThat(alive.vips()).as(c.name() + ": VIPs").isEqualTo(want.vips());
            realServers.get(c.stops()).stop();
            Snapshot wantDown = keepalived.get(c.name())[1];
            try {
                Snapshot down = settled(Duration.ofSeconds(4), "lvsd " + c.name() + " with " + c.stops() + " stopped",
                        s -> s.save().equals(wantDown.save()));
                assertThat(down.save()).as(c.name() + ": ipvsadm -Sn with " + c.stops() + " stopped")
                        .isEqualTo(wantDown.save());
            } finally {
                realServers.get(c.stops()).start();
            }
            System.out.printf("lvsd %s: the same as keepalived, alive and with %s stopped%n", c.name(), c.stops());
        }
        Map<String, List<String>> adverts = adverts();
        for (Case c : cases()) {
            List<String> ka = adverts.get("keepalived " + c.name());
            System.out.printf("adverts %s: keepalived %s, lvsd %s%n", c.name(), ka, adverts.get("lvsd " + c.name()));
            assertThat(ka).as(c.name() + ": keepalived's adverts captured").isNotEmpty();
            assertThat(adverts.get("lvsd " + c.name())).as(c.name() + ": adverts, field by field").isEqualTo(ka);
        }
    }

    /** lvsd's configuration for {@code keepalivedConf}, as {@code lvsd import keepalived} writes it. */
    static String imported(String keepalivedConf, String host) throws Exception {
        Path f = lab.dir.resolve(host + "-keepalived-source.conf");
        Files.writeString(f, keepalivedConf);
        KeepalivedImport.Result r = KeepalivedImport.convert(KeepalivedReader.read(f, host), f.getFileName().toString());
        assertThat(r.diagnostics()).as("the lab's keepalived files convert without TODOs:\n" + r.hocon())
                .noneMatch(d -> d.kind() != io.lvsd.keepalived.Diagnostic.Kind.WARNING);
        return r.hocon();
    }

    // ---- interop: a keepalived director and an lvsd director as one pair

    static String pairFile(String name, int priority, String extra) {
        return """
                global_defs {
                    router_id %1$s
                    lvs_sync_daemon eth0 VI_1 id 7
                }
                vrrp_sync_group G {
                    group {
                        VI_1
                        VI_2
                    }
                }
                vrrp_instance VI_1 {
                    state BACKUP
                    interface eth0
                    virtual_router_id 51
                    priority %2$d
                    version 3
                    advert_int 0.5
                    %3$s
                    virtual_ipaddress {
                        %4$s/24
                    }
                }
                vrrp_instance VI_2 {
                    state BACKUP
                    interface eth1
                    virtual_router_id 52
                    priority %2$d
                    version 3
                    advert_int 0.5
                    %3$s
                    virtual_ipaddress {
                        %5$s/24
                    }
                }
                virtual_server %4$s 7 {
                    delay_loop 2
                    lb_algo rr
                    lb_kind DR
                    protocol TCP
                    real_server 10.99.0.21 7 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                    real_server 10.99.0.22 7 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                virtual_server %4$s 8 {
                    delay_loop 2
                    lb_algo rr
                    lb_kind NAT
                    protocol TCP
                    real_server 10.98.0.21 7 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                    real_server 10.98.0.22 7 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(name, priority, extra, VIP, HaLab.GATEWAY);
    }

    @Test
    @Order(3)
    void aKeepalivedAndAnLvsdDirectorFailOverBothWaysWithConnectionsOpen() throws Exception {
        KernelLab.requireIpvs();
        labUp();
        if (!lab.running("d2")) {
            resetKernel();
        }
        // d1: keepalived with the master's file; it waits 5 s before preempting, so that its sync daemon hears the
        // connections the lvsd master is moving before it takes them back.
        Path d1File = lab.dir.resolve("d1-keepalived.conf");
        Files.writeString(d1File, pairFile("d1", 150, "preempt_delay 5"));
        Process ka = keepalived("d1", d1File);
        // d2: lvsd with the import of the backup's file (preempt-wait and the rest as keepalived's).
        String d2 = imported(pairFile("d2", 100, ""), "d2") + "\nadmin.listen = \"127.0.0.1:9180\"\n";
        if (lab.running("d2")) {
            lab.configure("d2", d2);
            lab.process("d2").signal("HUP");
        } else {
            lab.startWith("d2", d2);
        }
        try {
            lab.awaitMaster("d1", "d2", CONVERGE);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(lab.admin("d2", "/status")).contains("\"daemons\" : [ \"backup\" ]"));
            List<HaLab.Conn> dr = lab.open(7, 10);
            List<HaLab.Conn> nat = lab.open(8, 6);
            List<HaLab.Conn> all = new ArrayList<>(dr);
            all.addAll(nat);
            // keepalived's master daemon to lvsd's backup daemon: the kernel's own table is the oracle.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                for (HaLab.Conn c : all) {
                    assertThat(c.works("sync")).isTrue();
                }
                assertThat(lab.established("d2")).as("connections synced from keepalived (d1) to lvsd (d2)")
                        .containsAll(keys(dr, 7)).containsAll(keys(nat, 8));
            });

            // keepalived's director dies: lvsd takes over, and every connection answers from the same server.
            // A dead box: its links go first, then every process in it, keepalived's children too, at once.
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "link", "set", "eth0", "down");
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "link", "set", "eth1", "down");
            for (String pid : Sh.run(null, "ip", "netns", "pids", lab.net.name("d1")).out().split("\\s+")) {
                if (!pid.isBlank()) {
                    Sh.run(null, "kill", "-KILL", pid.strip());
                }
            }
            ka.waitFor(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(lab.holdsBoth("d2")).as("lvsd (d2) took over" + lab.outputs()).isTrue());
            for (HaLab.Conn c : all) {
                assertThat(c.works("after-keepalived-died")).as("connection %d to %s after d1 (keepalived) died",
                        c.port, c.owner).isTrue();
            }

            // keepalived's director comes back and preempts lvsd: the connections, moving, go back with it.
            Sh.run(null, "ip", "netns", "exec", lab.net.name("d1"), "ipvsadm", "-C");
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "addr", "flush", "dev", "eth0", "to", VIP + "/32");
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "addr", "flush", "dev", "eth1", "to", HaLab.GATEWAY + "/32");
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "link", "set", "eth0", "up");
            Sh.run(null, "ip", "-n", lab.net.name("d1"), "link", "set", "eth1", "up");
            // The connections keep moving, every 200 ms, so that the kernel syncs them to the returning d1.
            java.util.concurrent.ScheduledExecutorService traffic = java.util.concurrent.Executors
                    .newSingleThreadScheduledExecutor();
            ka = keepalived("d1", d1File);
            traffic.scheduleWithFixedDelay(() -> all.forEach(c -> c.works("keepalive")), 0, 200, TimeUnit.MILLISECONDS);
            try {
                lab.awaitMaster("d1", "d2", CONVERGE);
            } finally {
                traffic.shutdown();
                traffic.awaitTermination(10, TimeUnit.SECONDS);
            }
            for (HaLab.Conn c : all) {
                assertThat(c.works("after-fail-back")).as("connection %d to %s after d1 (keepalived) took back",
                        c.port, c.owner).isTrue();
            }
            System.out.printf("interop: %d connections survived keepalived -> lvsd and lvsd -> keepalived%n", all.size());
            for (HaLab.Conn c : all) {
                c.close();
            }
        } finally {
            stopKeepalived(ka);
        }
    }

    static List<String> keys(List<HaLab.Conn> conns, int vport) {
        return conns.stream().map(c -> c.port + " " + vport).toList();
    }

    // ---- keepalived

    /** keepalived (VRRP and checkers) in {@code host}, in the foreground, logging to the lab directory. */
    static Process keepalived(String host, Path conf) throws Exception {
        Path log = lab.dir.resolve(host + "-keepalived.log");
        String n = conf.getFileName().toString();
        return new ProcessBuilder("ip", "netns", "exec", lab.net.name(host), "keepalived", "-n", "-l", "-D",
                "-f", conf.toString(), "-p", lab.dir.resolve(n + ".pid").toString(),
                "-c", lab.dir.resolve(n + ".cpid").toString(), "-r", lab.dir.resolve(n + ".vpid").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    static void stopKeepalived(Process p) throws Exception {
        if (p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
