package io.lvsd.ipvs;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text formats operators know from ipvsadm: {@code ipvsadm -Sn} (rules, one per line, that
 * {@code ipvsadm -R} reads back) and {@code ipvsadm -Ln} listings. The layouts were taken from
 * ipvsadm 1.31's output on a real kernel (the lab's golden files), so that lvsd's save is
 * byte-for-byte the same for the same table.
 */
public final class IpvsadmFormat {
    private IpvsadmFormat() {
    }

    // ---- save (ipvsadm -Sn)

    /** The table as {@code ipvsadm -Sn} prints it, from a dump in the kernel's order. */
    public static String save(List<ServiceState> table) {
        StringBuilder b = new StringBuilder();
        for (ServiceState s : sorted(table)) {
            VirtualService v = s.service();
            b.append("-A ").append(serviceSpec(v.key())).append(" -s ").append(v.scheduler());
            if (v.persistent()) {
                b.append(" -p ").append(v.timeout());
                if (v.netmask() != VirtualService.fullNetmask(v.key().family())) {
                    b.append(" -M ").append(netmask(v.key().family(), v.netmask()));
                }
            }
            if (v.peName() != null) {
                b.append(" --pe ").append(v.peName());
            }
            if ((v.flags() & VirtualService.ONEPACKET) != 0) {
                b.append(" -o");
            }
            String flags = schedulerFlags(v);
            if (!flags.isEmpty()) {
                b.append(" -b ").append(flags);
            }
            b.append('\n');
            for (ServiceState.DestinationState ds : s.destinations()) {
                Destination d = ds.destination();
                b.append("-a ").append(serviceSpec(v.key())).append(" -r ").append(IpAddresses.format(d.address()))
                        .append(' ').append(switch (d.forwarding()) {
                            case TUN -> "-i";
                            case NAT, LOCAL, BYPASS -> "-m";
                            case DR -> "-g";
                        }).append(" -w ").append(d.weight());
                if (d.forwarding() == Forwarding.TUN) {
                    TunnelConfig t = d.tunnel();
                    b.append(" --tun-type ").append(t.type().key());
                    if (t.type() == TunnelConfig.Type.GUE) {
                        b.append(" --tun-port ").append(t.port());
                    }
                    if (t.type() != TunnelConfig.Type.IPIP) {
                        b.append(switch (t.checksum()) {
                            case NONE -> " --tun-nocsum";
                            case CSUM -> " --tun-csum";
                            case REMCSUM -> " --tun-remcsum";
                        });
                    }
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static List<ServiceState> sorted(List<ServiceState> table) {
        return IpvsadmOrder.sort(table);
    }

    /** {@code -t 10.0.0.1:80}, {@code -u [2001:db8::1]:53}, {@code --sctp-service ...}, {@code -f 7 -6}. */
    static String serviceSpec(ServiceKey key) {
        if (key instanceof ServiceKey.Fwmark f) {
            return "-f " + f.fwmark() + (f.family() == IpFamily.IPV6 ? " -6" : "");
        }
        ServiceKey.Addr a = (ServiceKey.Addr) key;
        String flag = switch (a.protocol()) {
            case TCP -> "-t";
            case UDP -> "-u";
            case SCTP -> "--sctp-service";
        };
        return flag + " " + IpAddresses.format(a.endpoint());
    }

    static String netmask(IpFamily family, long mask) {
        if (family == IpFamily.IPV6) {
            return Long.toString(mask);
        }
        return ((mask >>> 24) & 0xff) + "." + ((mask >>> 16) & 0xff) + "." + ((mask >>> 8) & 0xff) + "." + (mask & 0xff);
    }

    /** {@code sh-fallback,sh-port}; other schedulers' bits print as {@code flag-1..3}. */
    static String schedulerFlags(VirtualService v) {
        List<String> names = new ArrayList<>();
        String prefix = v.scheduler().equals("sh") || v.scheduler().equals("mh") ? v.scheduler() + "-" : null;
        int[] bits = {VirtualService.SCHED1, VirtualService.SCHED2, VirtualService.SCHED3};
        String[] known = {"fallback", "port", null};
        for (int i = 0; i < 3; i++) {
            if ((v.flags() & bits[i]) != 0) {
                names.add(prefix != null && known[i] != null ? prefix + known[i] : "flag-" + (i + 1));
            }
        }
        return String.join(",", names);
    }

    // ---- list (ipvsadm -Ln)

    /** What {@link #list} shows beside each entry. */
    public enum ListMode { PLAIN, STATS, RATE }

    /** The table as {@code ipvsadm -Ln} ({@code --stats}, {@code --rate}) prints it. */
    public static String list(IpvsInfo info, List<ServiceState> table, ListMode mode) {
        StringBuilder b = new StringBuilder();
        b.append("IP Virtual Server version ").append(info.versionString()).append(" (size=")
                .append(info.connectionTableSize()).append(")\n");
        switch (mode) {
            case PLAIN -> b.append("Prot LocalAddress:Port Scheduler Flags\n")
                    .append("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
            case STATS -> b.append("Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n")
                    .append("  -> RemoteAddress:Port\n");
            case RATE -> b.append("Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n")
                    .append("  -> RemoteAddress:Port\n");
        }
        for (ServiceState s : sorted(table)) {
            VirtualService v = s.service();
            String head = serviceColumn(v.key());
            if (mode == ListMode.PLAIN) {
                b.append(head).append(' ').append(v.scheduler());
                String flags = schedulerFlags(v);
                if (!flags.isEmpty()) {
                    b.append(" (").append(flags).append(')');
                }
                if (v.persistent()) {
                    b.append(" persistent ").append(v.timeout());
                    if (v.netmask() != VirtualService.fullNetmask(v.key().family())) {
                        b.append(" mask ").append(netmask(v.key().family(), v.netmask()));
                    }
                }
                if (v.peName() != null) {
                    b.append(" pe ").append(v.peName());
                }
                if ((v.flags() & VirtualService.ONEPACKET) != 0) {
                    b.append(" ops");
                }
                b.append('\n');
            } else {
                b.append(numbers(head, s.stats(), mode));
            }
            for (ServiceState.DestinationState ds : s.destinations()) {
                String addr = "  -> " + IpAddresses.format(ds.destination().address());
                if (mode == ListMode.PLAIN) {
                    b.append(String.format(Locale.ROOT, "  -> %-28s %-7s %-6d %-10d %-10d%n",
                            IpAddresses.format(ds.destination().address()), forwardName(ds.destination().forwarding()),
                            ds.destination().weight(), ds.activeConnections(), ds.inactiveConnections()));
                } else {
                    b.append(numbers(addr, ds.stats(), mode));
                }
            }
        }
        return b.toString();
    }

    private static String numbers(String head, Stats st, ListMode mode) {
        long[] v = mode == ListMode.STATS
                ? new long[] {st.connections(), st.inPackets(), st.outPackets(), st.inBytes(), st.outBytes()}
                : new long[] {st.cps(), st.inPps(), st.outPps(), st.inBps(), st.outBps()};
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-33s", head));
        for (long x : v) {
            b.append(' ').append(largeNumber(x));
        }
        return b.append('\n').toString();
    }

    /** Eight characters: the number itself below 10^8, else scaled with K, M, G or T. */
    static String largeNumber(long v) {
        if (v < 100_000_000L) {
            return String.format(Locale.ROOT, "%8d", v);
        }
        String[] units = {"K", "M", "G", "T"};
        long x = v;
        for (String u : units) {
            x /= 1000;
            if (x < 10_000_000L) {
                return String.format(Locale.ROOT, "%7d%s", x, u);
            }
        }
        return String.format(Locale.ROOT, "%7dP", x / 1000);
    }

    /** {@code TCP  10.0.0.1:80}, {@code SCTP 10.0.0.3:9}, {@code FWM  8 IPv6}. */
    static String serviceColumn(ServiceKey key) {
        if (key instanceof ServiceKey.Fwmark f) {
            return "FWM  " + f.fwmark() + (f.family() == IpFamily.IPV6 ? " IPv6" : "");
        }
        ServiceKey.Addr a = (ServiceKey.Addr) key;
        return String.format(Locale.ROOT, "%-4s %s", a.protocol().name(), IpAddresses.format(a.endpoint()));
    }

    /** ipvsadm's word for a forwarding method, as {@code ipvsadm -Ln} prints it. */
    public static String forwardName(Forwarding f) {
        return switch (f) {
            case NAT -> "Masq";
            case DR -> "Route";
            case TUN -> "Tunnel";
            case LOCAL -> "Local";
            case BYPASS -> "Bypass";
        };
    }

    // ---- restore (ipvsadm -R)

    /** A restore script: operations, with the flushes ({@code -C}) where they stand. */
    public record Restore(List<Step> steps) {
        public Restore {
            steps = List.copyOf(steps);
        }

        /** One line's effect: a flush of the table, or an operation. */
        public record Step(int line, boolean flush, IpvsOp op) {
        }
    }

    /** A restore script with errors; nothing of it may be applied. */
    public static final class RestoreException extends Exception {
        private final List<String> problems;

        public RestoreException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        /** One entry per bad line: {@code line 3: -s: "wlcx" (expected a scheduler name)}. */
        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Parses the {@code ipvsadm -R} format (what {@code ipvsadm -S} writes): {@code -A -E -D -a -e
     * -d -C} and their long forms, one command per line; blank lines and {@code #} comments are
     * skipped. Every line is checked before any is returned.
     */
    public static Restore parseRestore(String text) throws RestoreException {
        List<Restore.Step> steps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                steps.add(parseLine(i + 1, WHITE_SPACE.split(line)));
            } catch (IllegalArgumentException e) {
                problems.add("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new RestoreException(problems);
        }
        return new Restore(steps);
    }

    private static final java.util.regex.Pattern WHITE_SPACE = java.util.regex.Pattern.compile("\\s+");
    private static final java.util.regex.Pattern DIGITS = java.util.regex.Pattern.compile("\\d+");

    private static Restore.Step parseLine(int n, String[] w) {
        String cmd = null;
        Protocol protocol = null;
        String svcAddr = null;
        Long fwmark = null;
        boolean v6 = false;
        String sched = null;
        Long persist = null;
        String mask = null;
        String pe = null;
        boolean ops = false;
        String schedFlags = null;
        String real = null;
        Forwarding fwd = null;
        Integer weight = null;
        Long upper = null;
        Long lower = null;
        String tunType = null;
        Integer tunPort = null;
        TunnelConfig.Checksum csum = null;
        for (int i = 0; i < w.length; i++) {
            String o = w[i];
            switch (o) {
                case "-A", "--add-service", "-E", "--edit-service", "-D", "--delete-service", "-a", "--add-server",
                        "-e", "--edit-server", "-d", "--delete-server", "-C", "--clear" -> {
                    if (cmd != null) {
                        throw new IllegalArgumentException(o + ": a second command on one line (already " + cmd + ")");
                    }
                    cmd = canonical(o);
                }
                case "-t", "--tcp-service" -> {
                    protocol = Protocol.TCP;
                    svcAddr = arg(w, ++i, o);
                }
                case "-u", "--udp-service" -> {
                    protocol = Protocol.UDP;
                    svcAddr = arg(w, ++i, o);
                }
                case "--sctp-service" -> {
                    protocol = Protocol.SCTP;
                    svcAddr = arg(w, ++i, o);
                }
                case "-f", "--fwmark-service" -> fwmark = number(arg(w, ++i, o), o, 1, 0xFFFF_FFFFL);
                case "-6", "--ipv6" -> v6 = true;
                case "-s", "--scheduler" -> sched = arg(w, ++i, o);
                case "-p", "--persistent" -> {
                    if (i + 1 < w.length && DIGITS.matcher(w[i + 1]).matches()) {
                        persist = number(w[++i], o, 1, 0xFFFF_FFFFL);
                    } else {
                        persist = 360L; // ipvsadm's default persistence timeout
                    }
                }
                case "-M", "--netmask" -> mask = arg(w, ++i, o);
                case "--pe" -> pe = arg(w, ++i, o);
                case "-o", "--ops" -> ops = true;
                case "-b", "--sched-flags" -> schedFlags = arg(w, ++i, o);
                case "-r", "--real-server" -> real = arg(w, ++i, o);
                case "-g", "--gatewaying" -> fwd = Forwarding.DR;
                case "-i", "--ipip" -> fwd = Forwarding.TUN;
                case "-m", "--masquerading" -> fwd = Forwarding.NAT;
                case "-w", "--weight" -> weight = (int) number(arg(w, ++i, o), o, 0, 65535);
                case "-x", "--u-threshold" -> upper = number(arg(w, ++i, o), o, 0, Integer.MAX_VALUE);
                case "-y", "--l-threshold" -> lower = number(arg(w, ++i, o), o, 0, Integer.MAX_VALUE);
                case "--tun-type" -> tunType = arg(w, ++i, o);
                case "--tun-port" -> tunPort = (int) number(arg(w, ++i, o), o, 1, 65535);
                case "--tun-nocsum" -> csum = TunnelConfig.Checksum.NONE;
                case "--tun-csum" -> csum = TunnelConfig.Checksum.CSUM;
                case "--tun-remcsum" -> csum = TunnelConfig.Checksum.REMCSUM;
                default -> throw new IllegalArgumentException(o + ": unknown option");
            }
        }
        if (cmd == null) {
            throw new IllegalArgumentException("no command (expected -A, -E, -D, -a, -e, -d or -C)");
        }
        if (cmd.equals("-C")) {
            return new Restore.Step(n, true, null);
        }
        if ((svcAddr == null) == (fwmark == null)) {
            throw new IllegalArgumentException(cmd + ": expected exactly one of -t, -u, --sctp-service or -f");
        }
        ServiceKey key;
        if (fwmark != null) {
            key = new ServiceKey.Fwmark(v6 ? IpFamily.IPV6 : IpFamily.IPV4, fwmark);
        } else {
            InetSocketAddress ep = endpoint(svcAddr, "-t/-u", -1);
            if (v6 && IpAddresses.family(ep.getAddress()) != IpFamily.IPV6) {
                throw new IllegalArgumentException("-6: the service address " + svcAddr + " is not IPv6");
            }
            key = new ServiceKey.Addr(protocol, ep);
        }
        switch (cmd) {
            case "-D" -> {
                return new Restore.Step(n, false, new IpvsOp.DeleteService(key));
            }
            case "-A", "-E" -> {
                if (real != null || fwd != null || weight != null) {
                    throw new IllegalArgumentException(cmd + ": real-server options (-r, -g, -i, -m, -w) belong to -a/-e");
                }
                String s = sched == null ? "wlc" : sched; // ipvsadm's default scheduler
                if (!s.matches("[a-z0-9]{1,15}")) {
                    throw new IllegalArgumentException("-s: \"" + s + "\" (expected a scheduler name)");
                }
                int flags = 0;
                long timeout = 0;
                long netmask = VirtualService.fullNetmask(key.family());
                if (persist != null) {
                    flags |= VirtualService.PERSISTENT;
                    timeout = persist;
                }
                if (mask != null) {
                    if (persist == null) {
                        throw new IllegalArgumentException("-M: only with -p (persistence)");
                    }
                    netmask = parseNetmask(mask, key.family());
                }
                if (ops) {
                    if (key instanceof ServiceKey.Addr a && a.protocol() != Protocol.UDP) {
                        throw new IllegalArgumentException("-o: one-packet scheduling is only for UDP services");
                    }
                    flags |= VirtualService.ONEPACKET;
                }
                if (schedFlags != null) {
                    flags |= parseSchedFlags(schedFlags, s);
                }
                if (pe != null && !pe.matches("[a-z0-9]{1,15}")) {
                    throw new IllegalArgumentException("--pe: \"" + pe + "\" (expected a persistence engine name)");
                }
                VirtualService v = new VirtualService(key, s, flags, timeout, netmask, pe);
                return new Restore.Step(n, false, cmd.equals("-A") ? new IpvsOp.AddService(v) : new IpvsOp.EditService(v));
            }
            default -> {
                if (real == null) {
                    throw new IllegalArgumentException(cmd + ": -r is required");
                }
                int defaultPort = key instanceof ServiceKey.Addr a ? a.endpoint().getPort() : 0;
                InetSocketAddress ra = endpoint(real, "-r", defaultPort);
                if (cmd.equals("-d")) {
                    return new Restore.Step(n, false, new IpvsOp.DeleteDest(key, ra));
                }
                Forwarding f = fwd == null ? Forwarding.DR : fwd; // ipvsadm's default: gatewaying
                TunnelConfig tunnel = TunnelConfig.ipip();
                if (tunType != null || tunPort != null || csum != null) {
                    if (f != Forwarding.TUN) {
                        throw new IllegalArgumentException("--tun-*: only with -i (tunnelling)");
                    }
                    TunnelConfig.Type t = tunType == null ? TunnelConfig.Type.IPIP : switch (tunType) {
                        case "ipip" -> TunnelConfig.Type.IPIP;
                        case "gue" -> TunnelConfig.Type.GUE;
                        case "gre" -> TunnelConfig.Type.GRE;
                        default -> throw new IllegalArgumentException("--tun-type: \"" + tunType + "\" (expected ipip, gue or gre)");
                    };
                    // TunnelConfig's own checks name its fields; a problem names the option the line wrote.
                    if (t == TunnelConfig.Type.GUE && tunPort == null) {
                        throw new IllegalArgumentException("--tun-type: gue without --tun-port (expected a port 1-65535)");
                    }
                    if (t != TunnelConfig.Type.GUE && tunPort != null) {
                        throw new IllegalArgumentException("--tun-port: " + tunPort + " with --tun-type " + t.key()
                                + " (expected only with gue)");
                    }
                    if (csum == TunnelConfig.Checksum.REMCSUM && t != TunnelConfig.Type.GUE
                            || csum == TunnelConfig.Checksum.CSUM && t == TunnelConfig.Type.IPIP) {
                        throw new IllegalArgumentException("--tun-" + csum.key() + ": with --tun-type " + t.key()
                                + " (expected " + (csum == TunnelConfig.Checksum.CSUM ? "gue or gre" : "gue") + ")");
                    }
                    tunnel = new TunnelConfig(t, tunPort == null ? 0 : tunPort, csum == null ? TunnelConfig.Checksum.NONE : csum);
                }
                long u = upper == null ? 0 : upper;
                long l = lower == null ? 0 : lower;
                if (l > u) {
                    throw new IllegalArgumentException("-y: " + l + " (expected at most the upper threshold " + u + ")");
                }
                Destination d = new Destination(ra, f, weight == null ? 1 : weight, u, l, tunnel);
                return new Restore.Step(n, false, cmd.equals("-a") ? new IpvsOp.AddDest(key, d) : new IpvsOp.EditDest(key, d));
            }
        }
    }

    private static String canonical(String o) {
        return switch (o) {
            case "--add-service" -> "-A";
            case "--edit-service" -> "-E";
            case "--delete-service" -> "-D";
            case "--add-server" -> "-a";
            case "--edit-server" -> "-e";
            case "--delete-server" -> "-d";
            case "--clear" -> "-C";
            default -> o;
        };
    }

    private static String arg(String[] w, int i, String option) {
        if (i >= w.length || w[i].startsWith("-") && !w[i].matches("-\\d+")) {
            throw new IllegalArgumentException(option + ": missing value");
        }
        return w[i];
    }

    private static long number(String s, String option, long min, long max) {
        try {
            long v = Long.parseLong(s);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + ": \"" + s + "\" (expected " + min + "-" + max + ")");
    }

    private static InetSocketAddress endpoint(String s, String option, int defaultPort) {
        try {
            return IpAddresses.parseEndpoint(s, defaultPort);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    static long parseNetmask(String s, IpFamily family) {
        if (family == IpFamily.IPV6) {
            return number(s, "-M", 1, 128);
        }
        if (s.matches("\\d{1,2}")) {
            return VirtualService.netmaskOf(IpFamily.IPV4, (int) number(s, "-M", 1, 32));
        }
        InetAddress a;
        try {
            a = IpAddresses.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-M: \"" + s + "\" (expected a netmask like 255.255.255.0)");
        }
        byte[] b = a.getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException("-M: \"" + s + "\" (expected an IPv4 netmask)");
        }
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }

    private static int parseSchedFlags(String s, String scheduler) {
        int flags = 0;
        for (String f : s.split(",")) {
            flags |= switch (f) {
                case "sh-fallback", "mh-fallback", "flag-1" -> VirtualService.SCHED1;
                case "sh-port", "mh-port", "flag-2" -> VirtualService.SCHED2;
                case "flag-3" -> VirtualService.SCHED3;
                default -> throw new IllegalArgumentException("-b: \"" + f + "\" (expected sh-fallback, sh-port, mh-fallback, "
                        + "mh-port or flag-1..3)");
            };
            if ((f.startsWith("sh-") && !scheduler.equals("sh")) || (f.startsWith("mh-") && !scheduler.equals("mh"))) {
                throw new IllegalArgumentException("-b: " + f + " with scheduler " + scheduler + " (expected only with "
                        + f.substring(0, 2) + ")");
            }
        }
        return flags;
    }
}
