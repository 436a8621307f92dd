package io.lvsd.controller;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import io.lvsd.testkit.Sh;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The VRRP lab: a bridge in its own namespace, directors {@code d1} (10.97.0.11, 2001:db8:97::11)
 * and {@code d2} (.12, ::12), and a client {@code c1} (.50, ::50), all on the bridge and nothing
 * else. Directors run lvsd (the built launcher) or keepalived (Debian's package), each with a
 * configuration the test writes.
 */
final class VrrpLab implements AutoCloseable {
    static final String VIP = "10.97.0.100";
    static final String VIP6 = "2001:db8:97::100";
    /** A second address, added and removed by reloads. */
    static final String VIP2 = "10.97.0.101";

    final Netns ns;
    final Path dir;
    private final List<AutoCloseable> running = new ArrayList<>();

    VrrpLab(String prefix, Path dir) throws Exception {
        Lab.requireRoot("VRRP tests build network namespaces");
        Lab.requireCommand("ip", "iproute2");
        this.dir = dir;
        this.ns = new Netns(prefix);
        ns.bridge("br");
        String[][] hosts = {{"d1", "11"}, {"d2", "12"}, {"c1", "50"}};
        for (String[] h : hosts) {
            ns.add(h[0]);
            // No duplicate address detection: link-local addresses are usable at once.
            ns.exec(h[0], "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
            ns.link(h[0], "eth0", "br", "10.97.0." + h[1] + "/24");
            ns.exec(h[0], "ip", "-6", "addr", "add", "2001:db8:97::" + h[1] + "/64", "dev", "eth0", "nodad");
        }
        ns.exec("c1", "ip", "route", "add", "224.0.0.0/4", "dev", "eth0");
    }

    /** An lvsd director in {@code host} with this configuration (admin on 127.0.0.1:9180 of its namespace). */
    LvsdProcess lvsd(String host, String conf) throws Exception {
        Path f = writeLvsdConf(host, conf);
        LvsdProcess p = LvsdProcess.startIn(ns.name(host), Map.of(), "run", "-f", f.toString());
        running.add(p);
        return p;
    }

    /** {@link #lvsd(String, String)} run through {@code wrapper}, from {@code launcher}, with {@code env}. */
    LvsdProcess lvsd(String host, String conf, List<String> wrapper, Path launcher, Map<String, String> env)
            throws Exception {
        Path f = writeLvsdConf(host, conf);
        LvsdProcess p = LvsdProcess.startIn(ns.name(host), env, wrapper, launcher, "run", "-f", f.toString());
        running.add(p);
        return p;
    }

    /**
     * Cuts {@code host} off the LAN (its bridge port leaves the bridge) or joins it again. Its own link stays up,
     * so it does not go to FAULT: it simply hears nobody.
     */
    void partition(String host, boolean cut) throws Exception {
        if (cut) {
            Sh.ok("ip", "-n", ns.name("br"), "link", "set", host + "-eth0", "nomaster");
        } else {
            Sh.ok("ip", "-n", ns.name("br"), "link", "set", host + "-eth0", "master", "br0", "up");
        }
    }

    /** What every lvsd started here printed, for a failure message. */
    String outputs() {
        StringBuilder b = new StringBuilder();
        for (AutoCloseable c : running) {
            if (c instanceof LvsdProcess p) {
                b.append("\n---- lvsd ----\n").append(p.output());
            }
        }
        return b.toString();
    }

    /** Writes (or rewrites, for a SIGHUP) the configuration of the lvsd in {@code host}. */
    Path writeLvsdConf(String host, String conf) throws Exception {
        Path f = dir.resolve(host + "-lvsd.conf");
        Files.writeString(f, "director { name = " + host + " }\nadmin { listen = \"127.0.0.1:9180\" }\n"
                + "scripts { user = root }\n" + conf);
        return f;
    }

    /** keepalived (VRRP only) in {@code host}; its output goes to {@code dir/host-keepalived.log}. */
    Process keepalived(String host, String conf) throws Exception {
        Lab.requireCommand("keepalived", "keepalived");
        Path f = dir.resolve(host + "-keepalived.conf");
        Files.writeString(f, "global_defs {\n  router_id " + host + "\n  enable_script_security\n  script_user root\n}\n"
                + conf);
        Path log = dir.resolve(host + "-keepalived.log");
        Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(host), "keepalived", "--vrrp", "-n", "-l", "-D",
                "-f", f.toString(), "-p", dir.resolve(host + "-k.pid").toString(), "-r",
                dir.resolve(host + "-kv.pid").toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        running.add(() -> {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        });
        return p;
    }

    /** Whether {@code host} holds {@code address} on eth0 now. */
    boolean holds(String host, String address) throws Exception {
        String out = Sh.ok("ip", "-n", ns.name(host), "-o", "addr", "show", "dev", "eth0");
        return out.contains(" " + address + "/");
    }

    /** Which directors hold {@code address} now. */
    List<String> holders(String address) throws Exception {
        List<String> out = new ArrayList<>();
        for (String h : List.of("d1", "d2")) {
            if (holds(h, address)) {
                out.add(h);
            }
        }
        return out;
    }

    /** eth0's MAC address in {@code host}. */
    String mac(String host) throws Exception {
        String out = Sh.ok("ip", "-n", ns.name(host), "-o", "link", "show", "dev", "eth0");
        int i = out.indexOf("link/ether ");
        return out.substring(i + 11, i + 28);
    }

    /** The client's neighbour entry (MAC) for {@code address}, or null. */
    String clientNeighbour(String address) throws Exception {
        String out = Sh.ok("ip", "-n", ns.name("c1"), "neigh", "show", address, "dev", "eth0");
        int i = out.indexOf("lladdr ");
        return i < 0 ? null : out.substring(i + 7, i + 24);
    }

    /**
     * A raw IPv4 sender on the client's eth0 (IPPROTO_RAW: the test writes the whole header, so it chooses the
     * source and the TTL), for hostile packets. The socket belongs to c1's namespace whatever thread sends.
     */
    final class RawSender implements AutoCloseable {
        private final io.lvsd.linux.LinuxNative n = io.lvsd.linux.LinuxNative.get();
        private final int fd;

        RawSender() throws Exception {
            fd = NetNamespace.call(ns.name("c1"), () -> {
                int s = n.socket(io.lvsd.linux.LinuxNative.AF_INET, io.lvsd.linux.LinuxNative.SOCK_RAW, 255, "test raw");
                n.bindToDevice(s, "eth0", "test raw");
                return s;
            });
        }

        /** Sends a VRRP {@code payload} in an IPv4 header of our own (the kernel fills in id and checksum). */
        void send(java.net.InetAddress src, java.net.InetAddress dst, int ttl, byte[] payload) throws Exception {
            byte[] packet = java.nio.ByteBuffer.allocate(20 + payload.length).put((byte) 0x45).put((byte) 0xc0)
                    .putShort((short) (20 + payload.length)).putInt(0).put((byte) ttl).put((byte) 112)
                    .putShort((short) 0).put(src.getAddress()).put(dst.getAddress()).put(payload).array();
            n.sendTo(fd, packet, io.lvsd.linux.LinuxNative.sockaddrIn(dst.getAddress()), "test raw");
        }

        @Override
        public void close() {
            n.close(fd);
        }
    }

    /** Makes the client resolve {@code address} (one UDP datagram to the discard port). */
    void clientTouch(String address) throws Exception {
        NetNamespace.call(ns.name("c1"), () -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                s.send(new java.net.DatagramPacket(new byte[1], 1, java.net.InetAddress.getByName(address), 9));
            }
            return null;
        });
    }

    /** An HTTP GET on the admin endpoint of the lvsd in {@code host}. */
    String admin(String host, String path) throws Exception {
        return adminIn(ns.name(host), path);
    }

    /** The body of an HTTP GET on the admin endpoint (127.0.0.1:9180) inside the namespace {@code netns}. */
    static String adminIn(String netns, String path) throws Exception {
        return NetNamespace.call(netns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", 9180), 2000);
                s.setSoTimeout(5000);
                OutputStream o = s.getOutputStream();
                o.write(("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                o.flush();
                InputStream in = s.getInputStream();
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                String r = b.toString(StandardCharsets.UTF_8);
                int body = r.indexOf("\r\n\r\n");
                return body < 0 ? r : r.substring(body + 4);
            }
        });
    }

    /** A Prometheus sample of the lvsd in {@code host}, NaN when absent or unreachable. */
    double metric(String host, String sample) {
        try {
            return io.lvsd.controller.admin.PrometheusText.parse(admin(host, "/metrics")).getOrDefault(sample, Double.NaN);
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    /** The VRRP state of {@code instance} as the lvsd in {@code host} reports it, or "?" if unreachable. */
    String state(String host, String instance) {
        double v = metric(host, "lvsd_vrrp_state{instance=\"" + instance + "\"}");
        return Double.isNaN(v) ? "?" : List.of("INIT", "BACKUP", "MASTER", "FAULT").get((int) v);
    }

    /** Stops everything the lab started and removes what a killed director left behind. */
    void reset() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        for (String h : List.of("d1", "d2")) {
            Sh.run(null, "ip", "-n", ns.name(h), "link", "set", "eth0", "up");
            Sh.run(null, "ip", "-n", ns.name("br"), "link", "set", h + "-eth0", "master", "br0");
            for (String a : List.of(VIP + "/24", "10.97.1.100/24", VIP6 + "/64", VIP2 + "/24", VIP2 + "/25")) {
                Sh.run(null, "ip", "-n", ns.name(h), "addr", "del", a, "dev", "eth0");
            }
        }
    }

    @Override
    public void close() throws Exception {
        reset();
        ns.close();
    }
}
