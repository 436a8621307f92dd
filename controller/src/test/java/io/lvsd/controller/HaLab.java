package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.Netns;
import io.lvsd.testkit.Sh;
import java.io.IOException;
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

/**
 * A director pair with connection sync, in namespaces inside the lab VM (real IPVS):
 *
 * <pre>
 *  c1 10.99.0.50 (client) ──┐                                        ┌── n1 10.98.0.21:7 ─┐ NAT real servers,
 *  w1 10.99.0.60 (watcher) ─┼─ lan ─ d1 10.99.0.11 ─── d1 10.98.0.11 ─┼── n2 10.98.0.22:7 ─┘ gateway 10.98.0.1
 *  r1 10.99.0.21:7 ─────────┤        d2 10.99.0.12 ─── d2 10.98.0.12 ─┘   (VI_2)
 *  r2 10.99.0.22:7 ─────────┘  VI_1 10.99.0.100: DR :7 -> r1, r2; NAT :8 -> n1:7, n2:7
 * </pre>
 *
 * Every real server answers each line with {@code NAME:line}, so a client knows which server holds its
 * connection. r1 and r2 carry the VIP on lo (arp_ignore 1, arp_announce 2), as LVS-DR needs.
 */
final class HaLab implements AutoCloseable {
    static final String VIP = "10.99.0.100";
    static final String GATEWAY = "10.98.0.1";

    final Netns net;
    final Path dir;
    private final Map<String, LvsdProcess> directors = new HashMap<>();
    /** The directors that run as {@code nobody} with the unit's capabilities as ambient ones. */
    private final java.util.Set<String> nonRoot = new java.util.HashSet<>();
    private final List<ServerSocket> servers = new ArrayList<>();
    private final List<java.net.DatagramSocket> udpServers = new ArrayList<>();
    /** The logs of lvsd processes that exited, for failure messages. */
    private final Map<String, String> exited = new HashMap<>();
    private volatile boolean closing;

    HaLab(String prefix) throws Exception {
        net = new Netns(prefix);
        dir = Files.createTempDirectory(prefix);
        net.bridge("lan");
        net.bridge("in");
        net.link("c1", "eth0", "lan", "10.99.0.50/24");
        net.link("w1", "eth0", "lan", "10.99.0.60/24");
        director("d1", "11");
        director("d2", "12");
        for (String[] r : new String[][] {{"r1", "10.99.0.21"}, {"r2", "10.99.0.22"}}) {
            net.link(r[0], "eth0", "lan", r[1] + "/24");
            net.exec(r[0], "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                    "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2");
            net.exec(r[0], "ip", "addr", "add", VIP + "/32", "dev", "lo");
            serve(r[0], "0.0.0.0", r[0]);
        }
        for (String[] n : new String[][] {{"n1", "10.98.0.21"}, {"n2", "10.98.0.22"}}) {
            net.link(n[0], "eth0", "in", n[1] + "/24");
            net.exec(n[0], "ip", "route", "add", "default", "via", GATEWAY);
            serve(n[0], n[1], n[0]);
            serveUdp(n[0], n[1], n[0]);
        }
    }

    /** A director's namespace: eth0 on the LAN, eth1 inside, forwarding on (LVS-NAT routes the replies). */
    private void director(String name, String host) throws Exception {
        net.link(name, "eth0", "lan", "10.99.0." + host + "/24");
        net.link(name, "eth1", "in", "10.98.0." + host + "/24");
        net.exec(name, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    }

    /**
     * A reboot of {@code name}: its namespace, and with it its IPVS table, connections and sync daemons, is
     * deleted and made anew.
     */
    void reboot(String name) throws Exception {
        kill(name);
        Sh.ok("ip", "netns", "delete", net.name(name));
        net.add(name);
        director(name, name.equals("d1") ? "11" : "12");
    }

    /** lvsd for {@code name} with the configuration {@code conf}. */
    LvsdProcess startWith(String name, String conf) throws Exception {
        configure(name, conf);
        return launch(name, dir.resolve(name + ".conf"));
    }

    /**
     * From its next start on, {@code name} runs as {@code nobody} with the unit's capabilities as ambient ones
     * (systemd's {@code User=} and {@code AmbientCapabilities=}), owning its state and runtime directories as the
     * unit's {@code StateDirectory=} and {@code RuntimeDirectory=} would.
     */
    void runAsNobody(String name) {
        nonRoot.add(name);
    }

    /**
     * Starts lvsd for {@code name} as its systemd unit runs it: root with the unit's capabilities alone (so every VM
     * scenario proves IPVS programming, checks, scripts and sync with exactly those; see LeastPrivilegeIT for the
     * rest), or as {@code nobody} with them ({@link #runAsNobody}).
     */
    private LvsdProcess launch(String name, Path conf) throws Exception {
        Map<String, String> env = new HashMap<>();
        List<String> wrapper = LvsdProcess.asTheUnit();
        Path launcher = LvsdProcess.launcher();
        if (nonRoot.contains(name)) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String d : List.of("STATE_DIRECTORY", "RUNTIME_DIRECTORY")) {
                Path p = dir.resolve(name + "-" + d.toLowerCase(java.util.Locale.ROOT));
                Files.createDirectories(p);
                Sh.ok("chown", LvsdProcess.NOBODY + ":" + LvsdProcess.NOBODY, p.toString());
                env.put(d, p.toString());
            }
            wrapper = LvsdProcess.asNobody();
            launcher = LvsdProcess.launcherForNobody(dir);
        }
        LvsdProcess p = LvsdProcess.startIn(net.name(name), env, wrapper, launcher, "run", "-f", conf.toString());
        directors.put(name, p);
        return p;
    }

    /** Writes {@code name}'s configuration file (a running lvsd reads it at its next SIGHUP). */
    void configure(String name, String conf) throws IOException {
        Files.writeString(dir.resolve(name + ".conf"), conf);
    }

    LvsdProcess process(String name) {
        return directors.get(name);
    }

    /** Stops {@code name}'s lvsd gracefully (SIGTERM) and waits for it; its links stay up. */
    int stop(String name) throws Exception {
        directors.get(name).signal("TERM");
        return awaitExit(name);
    }

    /** Waits for {@code name}'s lvsd to exit (after a signal sent through {@link #process}); its exit code. */
    int awaitExit(String name) throws Exception {
        LvsdProcess p = directors.remove(name);
        int rc = p.waitFor(120);
        exited.put(name, p.output());
        return rc;
    }

    /** lvsd for {@code name} with this priority and sync-daemon section, adverts every second. */
    LvsdProcess start(String name, int priority, String syncDaemon) throws Exception {
        return start(name, priority, syncDaemon, "1s");
    }

    LvsdProcess start(String name, int priority, String syncDaemon, String advertInterval) throws Exception {
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, """
                director.name = %s
                vrrp {
                  instances {
                    VI_1 { interface = eth0, virtual-router-id = 51, priority = %d, advert-interval = %s,
                           virtual-addresses = ["%s/24"] }
                    VI_2 { interface = eth1, virtual-router-id = 52, priority = %d, advert-interval = %s,
                           virtual-addresses = ["%s/24"] }
                  }
                  sync-groups { G = [VI_1, VI_2] }
                }
                virtual-servers = [
                  { name = dr, address = "%s:7", scheduler = rr, forwarding = dr, check.type = none,
                    real-servers = [ { address = "10.99.0.21:7" }, { address = "10.99.0.22:7" } ] }
                  { name = nat, address = "%s:8", scheduler = rr, forwarding = nat, check.type = none,
                    real-servers = [ { address = "10.98.0.21:7" }, { address = "10.98.0.22:7" } ] }
                ]
                sync-daemon { %s }
                """.formatted(name, priority, advertInterval, VIP, priority, advertInterval, GATEWAY, VIP, VIP,
                        syncDaemon));
        return launch(name, conf);
    }

    /** SIGKILL of the director's lvsd and both its links down: a dead box. */
    void kill(String name) throws Exception {
        LvsdProcess p = directors.remove(name);
        if (p != null) {
            p.signal("KILL");
            p.waitFor(30);
        }
        Sh.run(null, "ip", "-n", net.name(name), "link", "set", "eth0", "down");
        Sh.run(null, "ip", "-n", net.name(name), "link", "set", "eth1", "down");
    }

    /** Waits until {@code master} holds both VIPs and {@code backup} neither. */
    void awaitMaster(String master, String backup, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(holdsBoth(master) && !holds(backup, VIP) && !holds(backup, GATEWAY))
                        .as(() -> master + " master, " + backup + " backup" + outputs()).isTrue());
    }

    boolean holdsBoth(String host) throws Exception {
        return holds(host, VIP) && holds(host, GATEWAY);
    }

    /** Whether {@code host} holds {@code address} on a link that is up (a dead box's downed links do not count). */
    boolean holds(String host, String address) throws Exception {
        return Sh.run(null, "ip", "-n", net.name(host), "-o", "addr", "show", "up").out().contains(" " + address + "/");
    }

    boolean running(String name) {
        return directors.containsKey(name);
    }

    /** The established connections in {@code host}'s IPVS table (ipvsadm -Lnc), as "client-port virtual-port". */
    List<String> established(String host) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Sh.run(null, "ip", "netns", "exec", net.name(host), "ipvsadm", "-Lnc").out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[0].equals("TCP") && f[2].equals("ESTABLISHED")) {
                out.add(f[3].substring(f[3].indexOf(':') + 1) + " " + f[4].substring(f[4].indexOf(':') + 1));
            }
        }
        return out;
    }

    /** GET on the admin endpoint of the lvsd in {@code host}. */
    String admin(String host, String path) throws Exception {
        return VrrpLab.adminIn(net.name(host), path);
    }

    String outputs() {
        StringBuilder b = new StringBuilder();
        exited.forEach((n, o) -> b.append("\n---- ").append(n).append(" (exited) ----\n").append(o));
        directors.forEach((n, p) -> b.append("\n---- ").append(n).append(" ----\n").append(p.output()));
        return b.toString();
    }

    String output(String name) {
        LvsdProcess p = directors.get(name);
        return p == null ? "" : p.output();
    }

    // ---- the client

    /** The client's connect and read timeout (ms). */
    int clientTimeoutMs = 5000;

    /** A client connection from c1 through the VIP, pinned by IPVS to one real server. */
    final class Conn extends LineEcho.Conn {
        Conn(int vport) throws Exception {
            super(net.name("c1"), null, new InetSocketAddress(VIP, vport), clientTimeoutMs);
        }
    }

    List<Conn> open(int vport, int n) throws Exception {
        List<Conn> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add(new Conn(vport));
        }
        return c;
    }

    /** A line echo on port 7 in {@code host}, answering {@code name:line}. */
    private void serve(String host, String addr, String name) throws Exception {
        ServerSocket ss = NetNamespace.call(net.name(host), () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(addr, 7), 256);
            return s;
        });
        servers.add(ss);
        Thread t = new Thread(() -> {
            while (!closing) {
                try {
                    Socket c = ss.accept();
                    Thread h = new Thread(() -> LineEcho.answer(c, name));
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** A UDP echo on port 9 in {@code host}, answering {@code name:datagram}. */
    private void serveUdp(String host, String addr, String name) throws Exception {
        java.net.DatagramSocket ds = NetNamespace.call(net.name(host), () -> new java.net.DatagramSocket(
                new InetSocketAddress(addr, 9)));
        udpServers.add(ds);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[512];
            while (!closing) {
                try {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                    ds.receive(p);
                    byte[] r = (name + ":" + new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII))
                            .getBytes(StandardCharsets.US_ASCII);
                    ds.send(new java.net.DatagramPacket(r, r.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }, "udp-echo-" + name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws Exception {
        closing = true;
        for (LvsdProcess p : directors.values()) {
            p.close();
        }
        for (ServerSocket s : servers) {
            s.close();
        }
        for (java.net.DatagramSocket s : udpServers) {
            s.close();
        }
        net.close();
    }
}
