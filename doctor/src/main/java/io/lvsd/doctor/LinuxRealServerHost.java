package io.lvsd.doctor;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.Sysctl;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.netlink.Fou;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.linux.proc.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The machine, in this process's network namespace: /proc/sys, rtnetlink, /proc/net/route and ipv6_route, generic
 * netlink's fou family for GUE ports, and modprobe for modules.
 */
public final class LinuxRealServerHost implements RealServerHost {
    private final Sysctl sysctl = new Sysctl();

    @Override
    public String sysctl(String name) throws IOException {
        if (name.chars().filter(c -> c == '.').count() > 4 && name.startsWith("net.ipv4.conf.")) {
            // An interface name with a dot (eth0.1): /proc/sys spells it with the dot, the dotted name cannot.
            String rest = name.substring("net.ipv4.conf.".length());
            String param = rest.substring(rest.lastIndexOf('.') + 1);
            Path p = Path.of("/proc/sys/net/ipv4/conf", rest.substring(0, rest.lastIndexOf('.')), param);
            return Files.exists(p) ? Files.readString(p).strip() : null;
        }
        try {
            return sysctl.read(name);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("no such parameter")) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public void setSysctl(String name, String value) throws IOException {
        sysctl.write(name, value);
    }

    private Rtnetlink.Link link(Rtnetlink rt, String name) throws NativeException {
        for (Rtnetlink.Link l : rt.links()) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    @Override
    public boolean linkExists(String name) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            return link(rt, name) != null;
        }
    }

    @Override
    public boolean linkUp(String name) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            Rtnetlink.Link l = link(rt, name);
            return l != null && (l.flags() & Rtnetlink.IFF_UP) != 0;
        }
    }

    @Override
    public void setLinkUp(String name, boolean up) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            Rtnetlink.Link l = link(rt, name);
            if (l == null) {
                throw new IOException("ip link set " + name + (up ? " up" : " down") + ": no such interface");
            }
            rt.setLinkUp(l.index(), up);
        }
    }

    @Override
    public List<IpPrefix> addresses(String name) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            Rtnetlink.Link l = link(rt, name);
            List<IpPrefix> out = new ArrayList<>();
            if (l == null) {
                return out;
            }
            for (IpFamily f : new IpFamily[] {IpFamily.IPV4, IpFamily.IPV6}) {
                for (Rtnetlink.Address a : rt.addresses(f)) {
                    if (a.ifindex() == l.index()) {
                        out.add(a.prefix());
                    }
                }
            }
            return out;
        }
    }

    @Override
    public void addAddress(String name, IpPrefix prefix) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            Rtnetlink.Link l = link(rt, name);
            if (l == null) {
                throw new IOException("ip addr add " + prefix + " dev " + name + ": no such interface");
            }
            rt.addAddress(l.index(), prefix, null);
        }
    }

    @Override
    public void deleteAddress(String name, IpPrefix prefix) throws IOException {
        try (Rtnetlink rt = Rtnetlink.open()) {
            Rtnetlink.Link l = link(rt, name);
            if (l != null) {
                rt.deleteAddress(l.index(), prefix);
            }
        }
    }

    /** /proc/net/route (IPv4: little-endian hex) or /proc/net/ipv6_route: the default route with the lowest metric. */
    @Override
    public Route defaultRoute(IpFamily family) throws IOException {
        return family == IpFamily.IPV4 ? defaultRoute4(Files.readString(Path.of("/proc/net/route")))
                : defaultRoute6(Files.readString(Path.of("/proc/net/ipv6_route")));
    }

    static Route defaultRoute4(String table) throws UnknownHostException {
        Route best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[1].equals("00000000") || !f[7].equals("00000000")) {
                continue;
            }
            long metric = Long.parseLong(f[6]);
            long g = Long.parseLong(f[2], 16);
            InetAddress gw = g == 0 ? null : InetAddress.getByAddress(new byte[] {(byte) g, (byte) (g >> 8),
                    (byte) (g >> 16), (byte) (g >> 24)});
            if (metric < bestMetric) {
                best = new Route(gw, f[0]);
                bestMetric = metric;
            }
        }
        return best;
    }

    static Route defaultRoute6(String table) throws UnknownHostException {
        Route best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[0].equals("0".repeat(32)) || !f[1].equals("00") || f[9].equals("lo")) {
                continue;
            }
            long metric = Long.parseLong(f[5], 16);
            byte[] g = java.util.HexFormat.of().parseHex(f[4]);
            InetAddress gw = f[4].equals("0".repeat(32)) ? null : InetAddress.getByAddress(g);
            if (metric < bestMetric) {
                best = new Route(gw, f[9]);
                bestMetric = metric;
            }
        }
        return best;
    }

    /** Loaded, or built into the running kernel (a built-in module without parameters has no /sys/module entry). */
    @Override
    public boolean moduleLoaded(String name) throws IOException {
        if (Files.isDirectory(Path.of("/sys/module", name))) {
            return true;
        }
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        return LinuxDirectorHost.listed(Path.of("/lib/modules", release, "modules.builtin"), name);
    }

    @Override
    public List<FouPort> fouPorts() throws IOException {
        try (Fou fou = Fou.open()) {
            List<FouPort> out = new ArrayList<>();
            for (Fou.Port p : fou.ports()) {
                out.add(new FouPort(p.port(), p.family(), p.encap() == Fou.Encap.GUE, p.ipproto()));
            }
            return out;
        }
    }

    @Override
    public void addFouPort(int port, IpFamily family) throws IOException {
        try (Fou fou = Fou.open()) {
            fou.add(Fou.Port.gue(port, family));
        }
    }

    @Override
    public void deleteFouPort(int port, IpFamily family) throws IOException {
        try (Fou fou = Fou.open()) {
            fou.delete(Fou.Port.gue(port, family));
        }
    }

    @Override
    public void loadModule(String name) throws IOException {
        run("modprobe", name);
    }

    @Override
    public void unloadModule(String name) throws IOException {
        run("modprobe", "-r", name);
    }

    private static void run(String... cmd) throws IOException {
        Processes.run(cmd);
    }
}
