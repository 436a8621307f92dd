package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.testkit.Fuzz;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The ipvsadm restore parser against {@link Fuzz#TRIES} generated inputs per property: a generated table saved in
 * {@code ipvsadm -Sn}'s format restores to the same table (its save is the same text); the same text with a few
 * token-level edits (a token dropped, doubled or replaced by junk, a line cut) gives steps or a
 * {@link IpvsadmFormat.RestoreException} whose every problem names its line, never another exception.
 */
class IpvsadmRestorePropertyTest {
    static final String[] SCHEDULERS = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo",
            "ovf", "mh"};

    static InetAddress address(Random r, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        a[0] = (byte) (v6 ? 0x20 : 10); // a unicast address, as a real server's
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static final Generator<List<ServiceState>> TABLES = r -> {
        Map<ServiceKey, ServiceState> table = new LinkedHashMap<>();
        for (int n = r.intRange(0, 8); n > 0; n--) {
            boolean v6 = r.trueOrFalse();
            IpFamily family = v6 ? IpFamily.IPV6 : IpFamily.IPV4;
            ServiceKey key = r.intRange(0, 3) == 0 ? new ServiceKey.Fwmark(family, r.longRange(1, 0xffffffffL))
                    : new ServiceKey.Addr(r.oneOf(Protocol.values()),
                            new InetSocketAddress(address(r, v6), r.intRange(1, 65535)));
            boolean persistent = r.trueOrFalse();
            VirtualService v = new VirtualService(key, r.oneOf(SCHEDULERS), persistent ? VirtualService.PERSISTENT : 0,
                    persistent ? r.longRange(1, 86_400) : 0, VirtualService.fullNetmask(family), null);
            List<ServiceState.DestinationState> dests = new ArrayList<>();
            java.util.Set<InetSocketAddress> seen = new java.util.HashSet<>();
            for (int d = r.intRange(0, 6); d > 0; d--) {
                InetSocketAddress a = new InetSocketAddress(address(r, v6), r.intRange(1, 65535));
                if (seen.add(a)) {
                    Forwarding f = r.oneOf(Forwarding.NAT, Forwarding.DR, Forwarding.TUN);
                    dests.add(new ServiceState.DestinationState(new Destination(a, f, r.intRange(0, 65535), 0, 0,
                            TunnelConfig.ipip()), 0, 0, 0, Stats.ZERO));
                }
            }
            table.put(key, new ServiceState(v, Stats.ZERO, dests));
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
            }
        }
        return new ArrayList<>(t.values());
    }

    /**
     * A table as a value: each service with the set of its destinations. (Not the saved text: ipvsadm's comparator
     * does not order consistently, so the save of a restored table may list the same entries in another order,
     * exactly as ipvsadm's own; see {@link IpvsadmOrder}.)
     */
    static Map<VirtualService, java.util.Set<Destination>> value(List<ServiceState> table) {
        Map<VirtualService, java.util.Set<Destination>> m = new java.util.HashMap<>();
        for (ServiceState s : table) {
            m.put(s.service(), new java.util.HashSet<>(s.destinations().stream()
                    .map(ServiceState.DestinationState::destination).toList()));
        }
        return m;
    }

    @Test
    void aSavedTableRestoresToItself() {
        Fuzz.forAll(TABLES, table -> {
            String text = IpvsadmFormat.save(table);
            try {
                assertThat(value(rebuild(IpvsadmFormat.parseRestore(text)))).isEqualTo(value(table));
            } catch (IpvsadmFormat.RestoreException e) {
                throw new AssertionError("the save did not restore:\n" + text, e);
            }
        });
    }

    static final String[] JUNK = {"", "-A", "-a", "-t", "-u", "-f", "-r", "-s", "-p", "-M", "-w", "-x", "-y", "-o",
            "-b", "--pe", "--tun-type", "--tun-port", "-g", "-i", "-m", "0", "-1", "4294967296", "99999999999999999999",
            "10.0.0.1:", ":80", "[::1]", "[::1]:99999", "1.2.3.4.5:80", "255.255.255.0", "gue", "sh-port,flag-2", "é",
            "\t", "#", "-Z", "--clear", "2001:db8::1:80", "[2001:db8::1]:80"};

    /** A saved table with 1 to 4 token-level edits. */
    static final Generator<String> EDITED = r -> {
        List<String> lines = new ArrayList<>(List.of(IpvsadmFormat.save(TABLES.generate(r)).split("\n")));
        if (lines.isEmpty() || lines.get(0).isEmpty()) {
            lines = new ArrayList<>(List.of("-A -t 10.0.0.1:80 -s rr", "-a -t 10.0.0.1:80 -r 10.0.0.5:80 -g -w 1"));
        }
        for (int e = r.intRange(1, 4); e > 0; e--) {
            int l = r.intRange(0, lines.size() - 1);
            List<String> w = new ArrayList<>(List.of(lines.get(l).split(" ")));
            if (w.isEmpty()) {
                w.add("");
            }
            int at = r.intRange(0, w.size() - 1);
            switch (r.intRange(0, 3)) {
                case 0 -> w.remove(at);
                case 1 -> w.add(at, w.get(at));
                case 2 -> w.set(at, r.oneOf(JUNK));
                default -> w = w.subList(0, at);
            }
            lines.set(l, String.join(" ", w));
        }
        return String.join("\n", lines) + "\n";
    };

    @Test
    void editedTextGivesStepsOrErrorsNamingTheirLine() {
        Fuzz.forAll(EDITED, text -> {
            try {
                IpvsadmFormat.parseRestore(text);
            } catch (IpvsadmFormat.RestoreException e) {
                assertThat(e.problems()).isNotEmpty().allMatch(p -> p.matches("line \\d+: .+"));
            }
        });
    }
}
