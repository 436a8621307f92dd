package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.testkit.Fuzz;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The ipvsadm restore parser against {@link Fuzz#TRIES} generated inputs per property: a generated table (every
 * option {@code ipvsadm -Sn} writes) saved in that format restores to the same table, whose save has the same lines;
 * saved tables, ipvsadm's golden save and the rules corpus with a few edits (tokens dropped, doubled, swapped or
 * replaced by junk: unknown options, huge or non-ASCII numbers, bad addresses) give steps or a
 * {@link IpvsadmFormat.RestoreException} whose every problem names its line and an option of it, never another
 * exception.
 */
class IpvsadmRestorePropertyTest {
    static final String[] SCHEDULERS = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo",
            "ovf", "mh", "twos"};

    /** A unicast address, as a real server's or a virtual service's. */
    static InetAddress address(Random r, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        a[0] = (byte) (v6 ? 0x20 : 10);
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A service as ipvsadm can save it: persistence with a netmask, a persistence engine, -o, -b. */
    static VirtualService service(Random r) {
        boolean v6 = r.trueOrFalse();
        IpFamily family = v6 ? IpFamily.IPV6 : IpFamily.IPV4;
        ServiceKey key = r.intRange(0, 3) == 0 ? new ServiceKey.Fwmark(family, r.longRange(1, 0xffffffffL))
                : new ServiceKey.Addr(r.oneOf(Protocol.values()),
                        new InetSocketAddress(address(r, v6), r.intRange(0, 65535)));
        int flags = r.intRange(0, 7) << 3 & (VirtualService.SCHED1 | VirtualService.SCHED2 | VirtualService.SCHED3);
        if (r.trueOrFalse() && !(key instanceof ServiceKey.Addr a && a.protocol() != Protocol.UDP)) {
            flags |= VirtualService.ONEPACKET; // ipvsadm allows -o for UDP and firewall-mark services only
        }
        VirtualService v = new VirtualService(key, r.oneOf(SCHEDULERS), flags, 0, VirtualService.fullNetmask(family),
                null);
        if (r.trueOrFalse()) {
            long timeout = r.trueOrFalse() ? r.longRange(1, 86_400) : r.longRange(1, 0xffffffffL);
            v = v.withPersistence(timeout, VirtualService.netmaskOf(family, v6 ? r.intRange(1, 128) : r.intRange(0, 32)));
            if (r.intRange(0, 3) == 0) {
                v = v.withPe("sip");
            }
        }
        return v;
    }

    static final Generator<List<ServiceState>> TABLES = r -> {
        Map<ServiceKey, ServiceState> table = new LinkedHashMap<>();
        for (int n = r.intRange(0, 8); n > 0; n--) {
            VirtualService v = service(r);
            boolean v6 = v.key().family() == IpFamily.IPV6;
            List<ServiceState.DestinationState> dests = new ArrayList<>();
            Set<InetSocketAddress> seen = new HashSet<>();
            for (int d = r.intRange(0, 6); d > 0; d--) {
                Forwarding f = r.oneOf(Forwarding.NAT, Forwarding.DR, Forwarding.TUN);
                // A tunnel may carry the other family (an IPv4 real server behind an IPv6 service, as in the golden save).
                boolean dv6 = f == Forwarding.TUN && r.intRange(0, 3) == 0 ? !v6 : v6;
                InetSocketAddress a = new InetSocketAddress(address(r, dv6), r.intRange(0, 65535));
                if (seen.add(a)) {
                    dests.add(new ServiceState.DestinationState(new Destination(a, f, r.intRange(0, 65535), 0, 0,
                            f == Forwarding.TUN ? IpvsCodecPropertyTest.tunnel(r) : TunnelConfig.ipip()), 0, 0, 0,
                            Stats.ZERO));
                }
            }
            table.put(v.key(), new ServiceState(v, Stats.ZERO, dests));
        }
        return new ArrayList<>(table.values());
    };

    /** The table the steps of a restore build. */
    static List<ServiceState> rebuild(IpvsadmFormat.Restore restore) {
        Map<ServiceKey, ServiceState> t = new LinkedHashMap<>();
        for (IpvsadmFormat.Restore.Step s : restore.steps()) {
            if (s.op() instanceof IpvsOp.AddService a) {
                t.put(a.service().key(), new ServiceState(a.service(), Stats.ZERO, List.of()));
            } else if (s.op() instanceof IpvsOp.AddDest a) {
                ServiceState old = t.get(a.key());
                List<ServiceState.DestinationState> ds = new ArrayList<>(old.destinations());
                ds.add(new ServiceState.DestinationState(a.destination(), 0, 0, 0, Stats.ZERO));
                t.put(a.key(), new ServiceState(old.service(), Stats.ZERO, ds));
            } else {
                throw new AssertionError("a save holds only -A and -a lines: " + s);
            }
        }
        return new ArrayList<>(t.values());
    }

    /**
     * A table as a value: each service with the set of its destinations. (Not the saved text: ipvsadm's comparator
     * is not transitive, so the save of a restored table may list the same entries in another order, exactly as
     * ipvsadm's own; see {@link IpvsadmOrder}.)
     */
    static Map<VirtualService, Set<Destination>> value(List<ServiceState> table) {
        Map<VirtualService, Set<Destination>> m = new HashMap<>();
        for (ServiceState s : table) {
            m.put(s.service(), new HashSet<>(s.destinations().stream()
                    .map(ServiceState.DestinationState::destination).toList()));
        }
        return m;
    }

    static List<String> sortedLines(String text) {
        return text.lines().sorted().toList();
    }

    @Test
    void aSavedTableRestoresToItself() {
        Fuzz.forAll(TABLES, table -> {
            String text = IpvsadmFormat.save(table);
            List<ServiceState> back;
            try {
                back = rebuild(IpvsadmFormat.parseRestore(text));
            } catch (IpvsadmFormat.RestoreException e) {
                throw new AssertionError("the save did not restore:\n" + text, e);
            }
            assertThat(value(back)).isEqualTo(value(table));
            assertThat(sortedLines(IpvsadmFormat.save(back))).isEqualTo(sortedLines(text));
        });
    }

    static final String[] JUNK = {"", "-A", "-a", "-e", "-d", "-D", "-E", "-t", "-u", "-f", "-r", "-s", "-p", "-M",
            "-w", "-x", "-y", "-o", "-b", "-6", "--pe", "--tun-type", "--tun-port", "--tun-csum", "--tun-remcsum", "-g",
            "-i", "-m", "0", "-1", "65536", "4294967295", "4294967296", "99999999999999999999", "-9223372036854775808",
            "10.0.0.1:", ":80", "[::1]", "[::1]:99999", "[::1", "1.2.3.4.5:80", "010.0.0.1:80", "256.0.0.1:80",
            "10.0.0.1:8o", "255.255.255.0", "255.0.255.0", "129", "gue", "gre", "ipip", "vxlan", "sh-port,flag-2",
            "mh-fallback", "flag-4", ",", "é", "\u0663", "\uff11\uff12", "１0.0.0.1:80", "10.0.0.1:\u0668\u0660",
            "\u00a0", "\u2003", "\t", "#", "-Z", "--clear", "--add-server", "--ipv6", "--weight", "--scheduler", "--real-server", "--persistent",
            "--netmask", "--fwmark-service", "2001:db8::1:80", "[2001:db8::1]:80",
            "[::ffff:10.0.0.1]:80", "SIP", "a".repeat(40)};

    static List<String> resource(String name) {
        try (InputStream in = IpvsadmRestorePropertyTest.class.getResourceAsStream(name)) {
            return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** ipvsadm 1.31's own save of the lab table, and the rules corpus the VM test restores. */
    static final List<List<String>> FILES = List.of(resource("/golden/ipvsadm-Sn.txt"), resource("/corpus/rules.txt"));

    /** Lines of a saved table, of ipvsadm's golden save or of the rules corpus, with 1 to 4 edits. */
    static final Generator<String> EDITED = r -> {
        List<String> all = r.intRange(0, 3) == 0 ? r.oneOf(FILES)
                : List.of(IpvsadmFormat.save(TABLES.generate(r)).split("\n"));
        int from = r.intRange(0, all.size() - 1); // up to 12 lines: the edits, and less to parse around them
        List<String> lines = new ArrayList<>(all.subList(from, Math.min(all.size(), from + r.intRange(1, 12))));
        for (int e = r.intRange(1, 4); e > 0; e--) {
            int l = r.intRange(0, lines.size() - 1);
            List<String> w = new ArrayList<>(List.of(lines.get(l).split(" ")));
            if (w.isEmpty()) { // a line of blanks
                w.add("");
            }
            int at = r.intRange(0, w.size() - 1);
            switch (r.intRange(0, 6)) {
                case 0 -> w.remove(at);
                case 1 -> w.add(at, w.get(at));
                case 2, 3 -> w.set(at, r.oneOf(JUNK));
                case 4 -> w.add(at, r.oneOf(JUNK));
                case 5 -> {
                    int other = r.intRange(0, w.size() - 1);
                    w.set(other, w.set(at, w.get(other)));
                }
                default -> w = w.subList(0, at);
            }
            lines.set(l, String.join(" ", w));
        }
        return String.join("\n", lines) + "\n";
    };

    /** ipvsadm's long options, by the short form the parser's problems name them with. */
    static final Map<String, String> LONG = Map.ofEntries(Map.entry("-A", "--add-service"),
            Map.entry("-E", "--edit-service"), Map.entry("-D", "--delete-service"), Map.entry("-a", "--add-server"),
            Map.entry("-e", "--edit-server"), Map.entry("-d", "--delete-server"), Map.entry("-C", "--clear"),
            Map.entry("-t", "--tcp-service"), Map.entry("-u", "--udp-service"), Map.entry("-f", "--fwmark-service"),
            Map.entry("-6", "--ipv6"), Map.entry("-s", "--scheduler"), Map.entry("-p", "--persistent"),
            Map.entry("-M", "--netmask"), Map.entry("-o", "--ops"), Map.entry("-b", "--sched-flags"),
            Map.entry("-r", "--real-server"), Map.entry("-g", "--gatewaying"), Map.entry("-i", "--ipip"),
            Map.entry("-m", "--masquerading"), Map.entry("-w", "--weight"), Map.entry("-x", "--u-threshold"),
            Map.entry("-y", "--l-threshold"));

    static final Pattern PROBLEM = Pattern.compile("line (\\d+): (.+)");

    @Test
    void editedTextGivesStepsOrProblemsNamingTheLineAndTheOption() {
        Fuzz.forAll(EDITED, text -> {
            try {
                IpvsadmFormat.parseRestore(text);
            } catch (IpvsadmFormat.RestoreException e) {
                assertThat(e.problems()).isNotEmpty();
                String[] lines = text.split("\n", -1);
                for (String p : e.problems()) {
                    Matcher m = PROBLEM.matcher(p);
                    if (!m.matches()) {
                        throw new AssertionError("the problem does not name its line: " + p);
                    }
                    int n = Integer.parseInt(m.group(1));
                    String said = m.group(2);
                    List<String> tokens = List.of(lines[n - 1].strip().split("\\s+"));
                    // The option as written, or the parser's name for it: the short form of a long option, -t/-u
                    // for the service address, --tun-* for the tunnel options together; or the want of a command.
                    boolean names = tokens.stream().anyMatch(t -> said.startsWith(t + ": "))
                            || said.startsWith("-t/-u: ") || said.startsWith("--tun-*: ")
                            || said.startsWith("no command (expected -A")
                            || LONG.entrySet().stream().anyMatch(o -> said.startsWith(o.getKey() + ": ")
                                    && tokens.contains(o.getValue()));
                    if (!names) {
                        throw new AssertionError("the problem does not name an option of line " + n + " ("
                                + lines[n - 1] + "): " + p);
                    }
                }
            }
        });
    }
}
