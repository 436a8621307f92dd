package io.lvsd.doctor;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A real server's side of LVS, checked ({@link #check}) and prepared ({@link #plan}, {@link #apply}, {@link #undo}):
 *
 * <ul>
 *   <li>DR: the VIP as a host address on {@code lo}, and the host never answering ARP for it
 *       ({@code arp_ignore = 1}, {@code arp_announce = 2}: the kernel uses the larger of {@code all} and the
 *       interface's own value, so both are set);</li>
 *   <li>TUN: the device that decapsulates the tunnel type up with the VIP, and its module: {@code tunl0}
 *       ({@code ipip}) for IPIP, {@code ip6tnl0} ({@code ip6_tunnel}) for IPv6-in-IPv6, {@code gre0}
 *       ({@code ip_gre}) or {@code ip6gre0} ({@code ip6_gre}) for GRE; for GUE a GUE receive port ({@code fou})
 *       that hands the inner packet to {@code tunl0} or {@code ip6tnl0}. For IPv4, reverse-path filtering that lets
 *       the decapsulated packets in (strict mode on the device, in force as the larger of {@code all} and the
 *       device's own, drops them: loose mode, 2, is set), and the same ARP settings as DR. The director is taken to
 *       reach the real server over the VIP's family (IPv4 VIPs in IPv4, IPv6 VIPs in IPv6);</li>
 *   <li>NAT: the default route through the director, so that replies go back through it (checked only).</li>
 * </ul>
 *
 * Every change records what it replaced, so that {@link #undo} puts back exactly the previous state.
 */
public final class RealServer {
    private RealServer() {
    }

    /** How the director forwards to this real server. */
    public enum Forwarding { DR, TUN, NAT }

    /** TUN: how the director encapsulates (its real server's tunnel type, ipvsadm's {@code --tun-type}). */
    public enum TunType {
        IPIP, GUE, GRE;

        /** {@code ipip}, {@code gue}, {@code gre}. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What the real server serves.
     *
     * @param vips       the virtual addresses
     * @param forwarding the director's forwarding method
     * @param director   the director's address on this network (NAT's default route), or {@code null}
     * @param tunType    TUN: the tunnel type ({@code null}: IPIP)
     * @param tunPort    TUN with GUE: the UDP port the director sends to; else 0
     */
    public record Spec(List<InetAddress> vips, Forwarding forwarding, InetAddress director, TunType tunType, int tunPort) {
        public Spec {
            vips = List.copyOf(vips);
            Objects.requireNonNull(forwarding, "forwarding");
            tunType = tunType == null ? TunType.IPIP : tunType;
            if (vips.isEmpty()) {
                throw new IllegalArgumentException("vip: none (expected at least one address)");
            }
            if (forwarding == Forwarding.NAT && director == null) {
                throw new IllegalArgumentException("director: missing (expected the director's address with --forwarding nat)");
            }
            if (tunType != TunType.IPIP && forwarding != Forwarding.TUN) {
                throw new IllegalArgumentException("tun-type: " + tunType.key() + " (expected only with --forwarding tun)");
            }
            if (tunType == TunType.GUE && (tunPort < 1 || tunPort > 65535)) {
                throw new IllegalArgumentException("tun-port: " + (tunPort == 0 ? "missing" : String.valueOf(tunPort))
                        + " (expected 1-65535 with --tun-type gue: the port the director sends GUE to)");
            }
            if (tunType != TunType.GUE && tunPort != 0) {
                throw new IllegalArgumentException("tun-port: " + tunPort + " (expected only with --tun-type gue)");
            }
        }

        /** DR, NAT, or TUN through IPIP. */
        public Spec(List<InetAddress> vips, Forwarding forwarding, InetAddress director) {
            this(vips, forwarding, director, TunType.IPIP, 0);
        }
    }

    /**
     * The device that decapsulates a tunnel type for one family, and the module that brings it: the fallback device
     * the kernel creates in every network namespace when the module loads, which takes every packet of its kind that
     * no configured tunnel claims, once it is up (ip_tunnel_lookup, ip6_tnl_lookup, ip6gre_tunnel_lookup). GUE has none
     * of its own: its port hands the inner packet on by protocol, to tunl0 (4) or ip6tnl0 (41).
     */
    record TunnelDevice(String link, String module, String carries) {
        static TunnelDevice of(TunType type, IpFamily family) {
            boolean v6 = family == IpFamily.IPV6;
            if (type == TunType.GRE) {
                return v6 ? new TunnelDevice("ip6gre0", "ip6_gre", "GRE") : new TunnelDevice("gre0", "ip_gre", "GRE");
            }
            String carries = type == TunType.GUE ? "GUE" : v6 ? "IPv6-in-IPv6" : "IPIP";
            return v6 ? new TunnelDevice("ip6tnl0", "ip6_tunnel", carries) : new TunnelDevice("tunl0", "ipip", carries);
        }
    }

    /** The families of {@code s}'s VIPs, IPv4 first. */
    static List<IpFamily> families(Spec s) {
        List<IpFamily> out = new ArrayList<>();
        if (hasV4(s)) {
            out.add(IpFamily.IPV4);
        }
        if (s.vips().stream().anyMatch(a -> a instanceof Inet6Address)) {
            out.add(IpFamily.IPV6);
        }
        return out;
    }

    private static List<InetAddress> vips(Spec s, IpFamily f) {
        return s.vips().stream().filter(a -> (a instanceof Inet6Address) == (f == IpFamily.IPV6)).toList();
    }

    /** The {@code ip fou} arguments for {@code s}'s GUE port in {@code family}. */
    static String fouArgs(int port, IpFamily family) {
        return "port " + port + (family == IpFamily.IPV6 ? " gue -6" : " gue");
    }

    /** A change {@link #apply} makes; {@link #undo} reverses it. */
    public sealed interface Change permits SetSysctl, AddAddress, LinkUp, LoadModule, AddFouPort, WriteFile {
        /** The equivalent command, as an operator would type it. */
        String command();

        /** One line of the setup record. */
        String record();
    }

    /** A kernel parameter set to {@code after}; it was {@code before}. */
    public record SetSysctl(String name, String before, String after) implements Change {
        public String command() {
            return "sysctl -w " + name + "=" + after;
        }

        public String record() {
            return "sysctl " + name + " " + before + " " + after;
        }
    }

    /** An address added to a link. */
    public record AddAddress(String link, IpPrefix prefix) implements Change {
        public String command() {
            return "ip addr add " + prefix + " dev " + link;
        }

        public String record() {
            return "address " + link + " " + prefix;
        }
    }

    /** A link brought up. */
    public record LinkUp(String link) implements Change {
        public String command() {
            return "ip link set " + link + " up";
        }

        public String record() {
            return "link-up " + link;
        }
    }

    /** A kernel module loaded. */
    public record LoadModule(String name) implements Change {
        public String command() {
            return "modprobe " + name;
        }

        public String record() {
            return "module " + name;
        }
    }

    /** A GUE receive port opened, for the director's GUE packets to {@code port} over {@code family}. */
    public record AddFouPort(int port, IpFamily family) implements Change {
        public String command() {
            return "ip fou add " + fouArgs(port, family);
        }

        public String record() {
            return "gue-port " + port + " " + (family == IpFamily.IPV6 ? "ipv6" : "ipv4");
        }
    }

    /** A file written ({@code --persist}); {@code before} is what it held, {@code null} when it did not exist. */
    public record WriteFile(java.nio.file.Path path, String before, String content) implements Change {
        public String command() {
            return "cat > " + path + " <<'EOF'\n" + content + "EOF";
        }

        public String record() {
            return "file " + path + " " + (before == null ? "-"
                    : java.util.Base64.getEncoder().encodeToString(before.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
    }

    private static boolean hasV4(Spec s) {
        return s.vips().stream().anyMatch(a -> !(a instanceof Inet6Address));
    }

    private static IpPrefix host(InetAddress a) {
        return new IpPrefix(a, a instanceof Inet6Address ? 128 : 32);
    }

    /** The interface replies leave by: the default route's, else none. */
    static String outgoing(RealServerHost h, Spec s) throws IOException {
        RealServerHost.Route r = h.defaultRoute(hasV4(s) ? IpFamily.IPV4 : IpFamily.IPV6);
        return r == null ? null : r.link();
    }

    /** Every check for {@code spec}, in order. */
    public static List<Finding> check(RealServerHost h, Spec s) throws IOException {
        List<Finding> out = new ArrayList<>();
        switch (s.forwarding()) {
            case DR -> {
                for (InetAddress vip : s.vips()) {
                    out.add(onLink(h, "lo", vip, "dr"));
                }
                arp(h, s, out);
            }
            case TUN -> {
                boolean fou = s.tunType() == TunType.GUE && h.moduleLoaded("fou");
                if (s.tunType() == TunType.GUE) {
                    out.add(fou ? new Finding("tun: fou module", Verdict.OK, "loaded", null)
                            : new Finding("tun: fou module", Verdict.FAIL, "not loaded: no GUE receive port can be"
                                    + " open, so the real server drops every packet the director sends in GUE", "modprobe fou"));
                }
                for (IpFamily family : families(s)) {
                    TunnelDevice d = TunnelDevice.of(s.tunType(), family);
                    if (s.tunType() == TunType.GUE) {
                        out.add(guePort(h, s.tunPort(), family, fou));
                    }
                    boolean exists = h.linkExists(d.link());
                    String module = "tun: " + d.module() + " module";
                    out.add(exists || h.moduleLoaded(d.module())
                            ? new Finding(module, Verdict.OK, "loaded (" + d.link() + " exists)", null)
                            : new Finding(module, Verdict.FAIL, "not loaded: no " + d.link() + " to decapsulate the"
                                    + " director's " + d.carries() + " packets, so the real server drops every forwarded"
                                    + " packet", "modprobe " + d.module()));
                    String up = "tun: " + d.link() + " up";
                    out.add(!exists ? new Finding(up, Verdict.FAIL, d.link() + " does not exist",
                            "modprobe " + d.module() + " && ip link set " + d.link() + " up")
                            : h.linkUp(d.link()) ? new Finding(up, Verdict.OK, "up", null)
                            : new Finding(up, Verdict.FAIL, d.link() + " is down: the kernel takes no " + d.carries()
                                    + " packet through it", "ip link set " + d.link() + " up"));
                    for (InetAddress vip : vips(s, family)) {
                        out.add(onLink(h, d.link(), vip, "tun"));
                    }
                    if (family == IpFamily.IPV4) {
                        out.add(rpFilter(h, d.link()));
                    }
                }
                arp(h, s, out);
            }
            case NAT -> {
                IpFamily family = s.director() instanceof Inet6Address ? IpFamily.IPV6 : IpFamily.IPV4;
                RealServerHost.Route r = h.defaultRoute(family);
                String dir = IpAddresses.text(s.director());
                if (r != null && s.director().equals(r.gateway())) {
                    out.add(new Finding("nat: default route", Verdict.OK, "via " + dir + " dev " + r.link(), null));
                } else {
                    out.add(new Finding("nat: default route", Verdict.FAIL, (r == null ? "none"
                            : "via " + (r.gateway() == null ? "(on-link)" : IpAddresses.text(r.gateway())) + " dev "
                            + r.link()) + ": replies to clients bypass the director, which never sees them to"
                            + " translate back, so clients reset or time out",
                            "ip route replace default via " + dir));
                }
            }
            default -> throw new IllegalStateException();
        }
        return out;
    }

    /** A GUE receive port of {@code port} for {@code family}, open only while {@code fou} is loaded. */
    private static Finding guePort(RealServerHost h, int port, IpFamily family, boolean fou) throws IOException {
        String name = "tun: GUE port " + port + (family == IpFamily.IPV6 ? " (IPv6)" : "");
        String add = "ip fou add " + fouArgs(port, family);
        if (!fou) {
            return new Finding(name, Verdict.FAIL, "none: the fou module is not loaded", "modprobe fou && " + add);
        }
        for (RealServerHost.FouPort p : h.fouPorts()) {
            if (p.port() == port && p.family() == family) {
                return p.gue() ? new Finding(name, Verdict.OK, "open (ip fou: " + fouArgs(port, family) + ")", null)
                        : new Finding(name, Verdict.FAIL, "port " + port + " is a FOU port for IP protocol " + p.ipproto()
                                + ", not GUE: the kernel takes the GUE header for the start of a packet and drops it",
                                "ip fou del port " + port + (family == IpFamily.IPV6 ? " -6" : "") + " && " + add);
            }
        }
        return new Finding(name, Verdict.FAIL, "none: the real server answers the director's GUE packets to UDP port "
                + port + " with ICMP port unreachable and drops them", add);
    }

    private static Finding onLink(RealServerHost h, String link, InetAddress vip, String kind) throws IOException {
        IpPrefix p = host(vip);
        String name = kind + ": VIP " + IpAddresses.text(vip) + " on " + link;
        if (!h.linkExists(link)) {
            return new Finding(name, Verdict.FAIL, link + " does not exist", null);
        }
        for (IpPrefix a : h.addresses(link)) {
            if (a.address().equals(vip)) {
                return a.prefixLength() == p.prefixLength() ? new Finding(name, Verdict.OK, a.toString(), null)
                        : new Finding(name, Verdict.WARN, a + ": not a host address; the real server routes the"
                                + " whole prefix to " + link, "ip addr del " + a + " dev " + link + " && ip addr add " + p
                                + " dev " + link);
            }
        }
        return new Finding(name, Verdict.FAIL, "missing: the real server drops every packet the director forwards"
                + " for the VIP, although a check to its own address passes", "ip addr add " + p + " dev " + link);
    }

    /** The larger of {@code all} and {@code link}'s value, as the kernel applies arp_ignore, arp_announce, rp_filter. */
    private static int inForce(RealServerHost h, String param, String link) throws IOException {
        int all = num(h.sysctl("net.ipv4.conf.all." + param));
        return link == null ? all : Math.max(all, num(h.sysctl(sysctlName(link, param))));
    }

    private static int num(String v) {
        try {
            return v == null ? 0 : Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String sysctlName(String link, String param) {
        return "net.ipv4.conf." + link + "." + param;
    }

    private static void arp(RealServerHost h, Spec s, List<Finding> out) throws IOException {
        if (!hasV4(s)) {
            return;
        }
        String link = outgoing(h, s);
        String where = link == null ? "all" : "all and " + link;
        int ignore = inForce(h, "arp_ignore", link);
        int announce = inForce(h, "arp_announce", link);
        out.add(ignore == 1 || ignore == 2
                ? new Finding("arp_ignore", Verdict.OK, ignore + " in force (" + where + ")", null)
                : new Finding("arp_ignore", Verdict.FAIL, ignore + " in force (" + where + "): the real server answers"
                        + " ARP for the VIP and can steal the director's traffic (the ARP problem)",
                        fixSysctls("arp_ignore", "1", link)));
        out.add(announce == 2
                ? new Finding("arp_announce", Verdict.OK, "2 in force (" + where + ")", null)
                : new Finding("arp_announce", Verdict.FAIL, announce + " in force (" + where + "): ARP requests may carry"
                        + " the VIP as their source and teach neighbours the real server's MAC for it",
                        fixSysctls("arp_announce", "2", link)));
        if (link == null) {
            out.add(new Finding("outgoing interface", Verdict.WARN, "no default route: only the 'all' values were"
                    + " checked", null));
        }
    }

    private static String fixSysctls(String param, String value, String link) {
        return "sysctl -w net.ipv4.conf.all." + param + "=" + value
                + (link == null ? "" : " " + sysctlName(link, param) + "=" + value);
    }

    private static Finding rpFilter(RealServerHost h, String link) throws IOException {
        int all = num(h.sysctl("net.ipv4.conf.all.rp_filter"));
        int t = num(h.sysctl(sysctlName(link, "rp_filter")));
        int f = Math.max(all, t);
        String name = "tun: rp_filter on " + link;
        if (f != 1) {
            return new Finding(name, Verdict.OK, f + " in force (all " + all + ", " + link + " " + t + ")", null);
        }
        return new Finding(name, Verdict.FAIL, "1 (strict) in force (all " + all + ", " + link + " " + t
                + "): decapsulated packets come from clients that are not routed via " + link + ", so the kernel drops"
                + " them; the larger of all and " + link + " applies, so both must be below 1 or loose (2)",
                "sysctl -w" + (all == 1 ? " net.ipv4.conf.all.rp_filter=2" : "") + (t == 1 ? " "
                        + sysctlName(link, "rp_filter") + "=2" : ""));
    }

    /**
     * {@link #plan(RealServerHost, Spec)}, then the files that keep the setup across a reboot (see
     * {@link #persistence}) under {@code root}, each one that does not already hold what it should.
     */
    public static List<Change> plan(RealServerHost h, Spec s, Persistence style, java.nio.file.Path root) throws IOException {
        List<Change> out = plan(h, s);
        for (PersistFile f : persistence(h, s, style)) {
            java.nio.file.Path p = root.resolve(f.path());
            String before = h.readFile(p);
            if (!f.content().equals(before)) {
                out.add(new WriteFile(p, before, f.content()));
            }
        }
        return out;
    }

    /** The changes that make {@link #check} pass for DR and TUN (NAT is only checked), in the order to apply. */
    public static List<Change> plan(RealServerHost h, Spec s) throws IOException {
        List<Change> out = new ArrayList<>();
        if (s.forwarding() == Forwarding.NAT) {
            return out;
        }
        if (s.forwarding() == Forwarding.DR) {
            addVips(h, "lo", s.vips(), out);
        } else {
            boolean fou = s.tunType() == TunType.GUE && h.moduleLoaded("fou");
            if (s.tunType() == TunType.GUE && !fou) {
                out.add(new LoadModule("fou"));
            }
            for (IpFamily family : families(s)) {
                TunnelDevice d = TunnelDevice.of(s.tunType(), family);
                if (s.tunType() == TunType.GUE) {
                    // A port of this number and family that is not GUE cannot be added beside: check names it.
                    boolean taken = fou && h.fouPorts().stream()
                            .anyMatch(p -> p.port() == s.tunPort() && p.family() == family);
                    if (!taken) {
                        out.add(new AddFouPort(s.tunPort(), family));
                    }
                }
                if (!h.linkExists(d.link()) && !h.moduleLoaded(d.module())) {
                    out.add(new LoadModule(d.module()));
                }
                if (!h.linkExists(d.link()) || !h.linkUp(d.link())) {
                    out.add(new LinkUp(d.link()));
                }
                addVips(h, d.link(), vips(s, family), out);
                if (family == IpFamily.IPV4) {
                    String all = h.sysctl("net.ipv4.conf.all.rp_filter");
                    if (num(all) == 1) {
                        out.add(new SetSysctl("net.ipv4.conf.all.rp_filter", all, "2"));
                    }
                    String t = h.linkExists(d.link()) ? h.sysctl(sysctlName(d.link(), "rp_filter")) : null;
                    // A device created by this setup gets the 'default' value: set it after the module loads.
                    if (num(t) == 1 || t == null && num(h.sysctl("net.ipv4.conf.default.rp_filter")) == 1) {
                        out.add(new SetSysctl(sysctlName(d.link(), "rp_filter"), t == null
                                ? h.sysctl("net.ipv4.conf.default.rp_filter") : t, "2"));
                    }
                }
            }
        }
        if (hasV4(s)) {
            String link = outgoing(h, s);
            for (String[] p : new String[][] {{"arp_ignore", "1"}, {"arp_announce", "2"}}) {
                for (String l : link == null ? List.of("all") : List.of("all", link)) {
                    String name = l.equals("all") ? "net.ipv4.conf.all." + p[0] : sysctlName(l, p[0]);
                    String before = h.sysctl(name);
                    boolean ok = p[0].equals("arp_ignore") ? num(before) == 1 || num(before) == 2 : num(before) == 2;
                    if (before != null && !ok) {
                        out.add(new SetSysctl(name, before, p[1]));
                    }
                }
            }
        }
        return out;
    }

    private static void addVips(RealServerHost h, String link, List<InetAddress> vips, List<Change> out)
            throws IOException {
        for (InetAddress vip : vips) {
            boolean present = h.linkExists(link) && h.addresses(link).stream().anyMatch(a -> a.address().equals(vip));
            if (!present) {
                out.add(new AddAddress(link, host(vip)));
            }
        }
    }

    /** Applies {@code changes} in order, telling {@code applied} after each (so a failure leaves a true record). */
    public static void apply(RealServerHost h, List<Change> changes, java.util.function.Consumer<Change> applied)
            throws IOException {
        for (Change c : changes) {
            if (c instanceof SetSysctl s) {
                h.setSysctl(s.name(), s.after());
            } else if (c instanceof AddAddress a) {
                h.addAddress(a.link(), a.prefix());
            } else if (c instanceof LinkUp l) {
                h.setLinkUp(l.link(), true);
            } else if (c instanceof LoadModule m) {
                h.loadModule(m.name());
            } else if (c instanceof AddFouPort f) {
                h.addFouPort(f.port(), f.family());
            } else if (c instanceof WriteFile w) {
                h.writeFile(w.path(), w.content());
            }
            applied.accept(c);
        }
    }

    /** Reverses {@code applied}, last first. */
    public static void undo(RealServerHost h, List<Change> applied, java.util.function.Consumer<String> log)
            throws IOException {
        for (int i = applied.size() - 1; i >= 0; i--) {
            Change c = applied.get(i);
            if (c instanceof SetSysctl s) {
                if (h.sysctl(s.name()) != null) {
                    h.setSysctl(s.name(), s.before());
                    log.accept("sysctl -w " + s.name() + "=" + s.before());
                }
            } else if (c instanceof AddAddress a) {
                if (h.linkExists(a.link()) && h.addresses(a.link()).contains(a.prefix())) {
                    h.deleteAddress(a.link(), a.prefix());
                    log.accept("ip addr del " + a.prefix() + " dev " + a.link());
                }
            } else if (c instanceof LinkUp l) {
                if (h.linkExists(l.link())) {
                    h.setLinkUp(l.link(), false);
                    log.accept("ip link set " + l.link() + " down");
                }
            } else if (c instanceof LoadModule m) {
                h.unloadModule(m.name());
                log.accept("modprobe -r " + m.name());
            } else if (c instanceof AddFouPort f) {
                boolean open = h.moduleLoaded("fou") && h.fouPorts().stream()
                        .anyMatch(p -> p.port() == f.port() && p.family() == f.family());
                if (open) {
                    h.deleteFouPort(f.port(), f.family());
                    log.accept("ip fou del port " + f.port() + (f.family() == IpFamily.IPV6 ? " -6" : ""));
                }
            } else if (c instanceof WriteFile w) {
                if (w.before() == null) {
                    h.deleteFile(w.path());
                    log.accept("rm " + w.path());
                } else {
                    h.writeFile(w.path(), w.before());
                    log.accept("restored " + w.path());
                }
            }
        }
    }

    /** How a host keeps its network configuration across a reboot. */
    public enum Persistence {
        /** systemd-networkd: .network files in /etc/systemd/network. */
        NETWORKD,
        /** ifupdown: a file in /etc/network/interfaces.d. */
        IFUPDOWN
    }

    /** A file {@code --persist} writes: its path from the root ({@code etc/sysctl.d/...}) and its content. */
    public record PersistFile(String path, String content) {
    }

    static final String HEADER = "# Written by lvsd real-server setup --persist; lvsd real-server setup --undo removes it.\n";

    /**
     * The files that make {@code s}'s setup survive a reboot: the sysctls (sysctl.d), the tunnel's modules for TUN
     * (modules-load.d), the VIPs on {@code lo} or the tunnel devices, and the GUE receive port, in the host's network
     * configuration, as {@code style} keeps it. NAT has nothing to keep.
     *
     * @throws IllegalArgumentException for a GUE port over IPv6 with systemd-networkd, which opens a fou port of
     *                                  another family only when bound to a local address that lvsd does not know
     */
    public static List<PersistFile> persistence(RealServerHost h, Spec s, Persistence style) throws IOException {
        List<PersistFile> out = new ArrayList<>();
        if (s.forwarding() == Forwarding.NAT) {
            return out;
        }
        boolean tun = s.forwarding() == Forwarding.TUN;
        boolean gue = tun && s.tunType() == TunType.GUE;
        StringBuilder sysctl = new StringBuilder(HEADER);
        if (hasV4(s)) {
            String link = outgoing(h, s);
            sysctl.append("# The real server never answers ARP for the VIP, nor uses it as an ARP source (the ARP problem).\n");
            for (String l : link == null ? List.of("all") : List.of("all", link)) {
                sysctl.append(sysctlName(l, "arp_ignore")).append(" = 1\n").append(sysctlName(l, "arp_announce")).append(" = 2\n");
            }
            if (tun) {
                String dev = TunnelDevice.of(s.tunType(), IpFamily.IPV4).link();
                sysctl.append("# Loose reverse-path filtering: decapsulated packets come from clients not routed via ")
                        .append(dev).append(".\n").append("net.ipv4.conf.all.rp_filter = 2\n")
                        .append(sysctlName(dev, "rp_filter")).append(" = 2\n");
            }
            out.add(new PersistFile("etc/sysctl.d/90-lvsd-real-server.conf", sysctl.toString()));
        }
        record OnLink(String link, String module, IpFamily family, List<InetAddress> vips) {
        }
        List<OnLink> links = new ArrayList<>();
        if (tun) {
            StringBuilder modules = new StringBuilder(HEADER);
            if (gue) {
                modules.append("fou\n");
            }
            for (IpFamily f : families(s)) {
                TunnelDevice d = TunnelDevice.of(s.tunType(), f);
                modules.append(d.module()).append("\n");
                links.add(new OnLink(d.link(), d.module(), f, vips(s, f)));
            }
            out.add(new PersistFile("etc/modules-load.d/lvsd-real-server.conf", modules.toString()));
        } else {
            links.add(new OnLink("lo", null, null, s.vips()));
        }
        if (gue && style == Persistence.NETWORKD) {
            if (links.stream().anyMatch(l -> l.family() == IpFamily.IPV6)) {
                throw new IllegalArgumentException("--persist=networkd: systemd-networkd opens an IPv6 GUE port only"
                        + " bound to a local address; use --persist=ifupdown, or run 'ip fou add " + fouArgs(s.tunPort(),
                        IpFamily.IPV6) + "' from a unit at boot");
            }
            // Kind=fou is a netdev of its own, no link: networkd opens the port when it starts (fou is in modules-load.d).
            out.add(new PersistFile("etc/systemd/network/09-lvsd-real-server-gue" + s.tunPort() + ".netdev", HEADER
                    + "# The GUE receive port for the director's packets (LVS-TUN, GUE).\n[NetDev]\nName=lvsd-gue"
                    + s.tunPort() + "\nKind=fou\n\n[FooOverUDP]\nEncapsulation=GenericUDPEncapsulation\nPort=" + s.tunPort()
                    + "\n"));
        }
        for (OnLink o : links) {
            String link = o.link();
            StringBuilder net = new StringBuilder(HEADER);
            if (style == Persistence.NETWORKD) {
                net.append("# The VIPs on ").append(link).append(" (LVS-").append(s.forwarding()).append(").\n")
                        .append("[Match]\nName=").append(link).append("\n\n[Link]\nRequiredForOnline=no\n");
                if (tun) {
                    net.append("ActivationPolicy=up\n");
                }
                net.append("\n[Network]\nKeepConfiguration=static\n");
                for (InetAddress vip : o.vips()) {
                    net.append("\n[Address]\nAddress=").append(host(vip)).append("\n");
                }
                // networkd applies the first .network file (in lexical order) that matches a link: a low number, so
                // that a catch-all file does not shadow this one.
                out.add(new PersistFile("etc/systemd/network/09-lvsd-real-server-" + link + ".network", net.toString()));
            } else {
                net.append("# The VIPs on ").append(link).append(" (LVS-").append(s.forwarding())
                        .append("). /etc/network/interfaces must source interfaces.d (Debian's does).\n");
                // A stanza of its own, named after no device (ifdown of "lo:x" would take lo itself down), so that the
                // host's "iface lo" stays as it is; manual, so that ifupdown only runs these lines. A tunnel device
                // appears when its module loads. "replace" does not fail on an address already there.
                String stanza = tun ? link : "lvsd-vips-lo";
                net.append("\nauto ").append(stanza).append("\niface ").append(stanza).append(" inet manual\n");
                if (tun) {
                    net.append("    pre-up modprobe ").append(o.module()).append("\n");
                    if (gue) {
                        net.append("    pre-up modprobe fou\n    pre-up ip fou add ").append(fouArgs(s.tunPort(), o.family()))
                                .append(" || true\n");
                    }
                    net.append("    up ip link set ").append(link).append(" up\n");
                }
                for (InetAddress vip : o.vips()) {
                    net.append("    up ip addr replace ").append(host(vip)).append(" dev ").append(link).append("\n");
                }
                for (InetAddress vip : o.vips()) {
                    net.append("    down ip addr del ").append(host(vip)).append(" dev ").append(link).append("\n");
                }
                if (gue) {
                    net.append("    post-down ip fou del port ").append(s.tunPort())
                            .append(o.family() == IpFamily.IPV6 ? " -6" : "").append("\n");
                }
                out.add(new PersistFile("etc/network/interfaces.d/lvsd-real-server-" + link, net.toString()));
            }
        }
        return out;
    }

    /** The setup record's lines back into changes; a line that is not one is an error naming it. */
    public static List<Change> parseRecord(String text) {
        List<Change> out = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split(" ");
            try {
                out.add(switch (f[0]) {
                    case "sysctl" -> new SetSysctl(f[1], f[2], f[3]);
                    case "address" -> new AddAddress(f[1], IpPrefix.parse(f[2]));
                    case "link-up" -> new LinkUp(f[1]);
                    case "module" -> new LoadModule(f[1]);
                    case "gue-port" -> new AddFouPort(Integer.parseInt(f[1]), switch (f[2]) {
                        case "ipv4" -> IpFamily.IPV4;
                        case "ipv6" -> IpFamily.IPV6;
                        default -> throw new IllegalArgumentException("family");
                    });
                    case "file" -> new WriteFile(java.nio.file.Path.of(f[1]), f[2].equals("-") ? null
                            : new String(java.util.Base64.getDecoder().decode(f[2]), java.nio.charset.StandardCharsets.UTF_8),
                            null);
                    default -> throw new IllegalArgumentException("unknown change");
                });
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + n + ": \"" + l + "\" (expected sysctl NAME BEFORE AFTER,"
                        + " address LINK PREFIX, link-up LINK, module NAME, gue-port PORT ipv4|ipv6 or file PATH BEFORE)");
            }
        }
        return out;
    }
}
