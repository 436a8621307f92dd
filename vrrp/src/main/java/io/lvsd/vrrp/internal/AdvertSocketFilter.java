package io.lvsd.vrrp.internal;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.SocketFilter;
import io.lvsd.vrrp.VrrpInstanceConfig;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a VRRP socket lets in, decided by the kernel before a packet is queued: the VRIDs of the instances on the
 * socket's interface and family, and for a unicast instance that checks its peers ({@code unicast-peers-check}),
 * only those peers as source. Anything else no instance here would accept, so a flood of it never waits in the
 * advert socket's queue, never occupies its reader or the VRRP loop, and never makes a backup wonder whether an
 * advert is still unread at a Master_Down expiry.
 *
 * <p>Every dropped packet must still be counted by reason, and a packet the kernel's filter drops is counted nowhere.
 * So each channel has a second socket whose filter is this one's complement ({@link #program program(false)}): it
 * receives exactly what the advert socket's filter keeps out, on a reader thread of its own that counts it
 * ({@link #classify}) and never posts to the loop.
 *
 * <p>The rules exist twice, as classic BPF for the kernel and as {@link #classify} in Java, which names the reason of
 * what was kept out and stands in for the kernel in the fake. {@code AdvertSocketFilterIT} holds the two to the same
 * answers on real sockets. A packet too short to carry a VRID is let in, so that the decoder counts its length error.
 * TTL is left to the decoder: its rule depends on the destination (multicast or not).
 *
 * <p>A reload that changes the rules changes the two sockets' programs one after the other; {@link #change} orders
 * the steps so that no packet reaches neither socket.
 */
final class AdvertSocketFilter {
    /** The instance with {@code vrid} on the channel, and the sources it takes (empty: any). */
    record Rule(int vrid, String instance, List<InetAddress> peers) {
    }

    private final IpFamily family;
    private final String channel;
    private final Map<Integer, Rule> rules;
    /**
     * Whether the kernel checks unicast sources too. A channel whose rules would not fit in a program (4,096
     * instructions: some 450 IPv6 peers in all) has the kernel check VRIDs only, and the loop checks sources as it does
     * without a filter.
     */
    private final boolean sources;
    private final SocketFilter adverts;
    private final SocketFilter rest;

    /** {@code trySources}: whether the kernel may check sources (if they fit); else it checks VRIDs only. */
    private AdvertSocketFilter(IpFamily family, String channel, Map<Integer, Rule> rules, boolean trySources) {
        this.family = family;
        this.channel = channel;
        this.rules = rules;
        SocketFilter a = null;
        if (trySources) {
            try {
                a = build(true, true);
            } catch (IllegalStateException tooLong) {
                // checked by VRIDs only, below
            }
        }
        boolean s = a != null;
        if (a == null) {
            a = build(true, false);
        }
        this.sources = s;
        this.adverts = a;
        this.rest = build(false, s);
    }

    /** The filter of channel {@code channel} (interface/family) for the instances on it. */
    static AdvertSocketFilter of(IpFamily family, String channel, Collection<VrrpInstanceConfig> instances) {
        Map<Integer, Rule> rules = new TreeMap<>();
        for (VrrpInstanceConfig c : instances) {
            List<InetAddress> peers = c.unicastPeers().isEmpty() || !c.unicastPeersCheck() ? List.of() : c.unicastPeers();
            // Two instances with one VRID on a channel: let in what either takes.
            rules.merge(c.virtualRouterId(), new Rule(c.virtualRouterId(), c.name(), List.copyOf(peers)),
                    AdvertSocketFilter::either);
        }
        return new AdvertSocketFilter(family, channel, rules, true);
    }

    /** The rule that lets in what {@code a} or {@code b} (of one VRID) lets in; it names {@code a}'s instance. */
    private static Rule either(Rule a, Rule b) {
        if (a.peers().isEmpty() || b.peers().isEmpty()) {
            return new Rule(a.vrid(), a.instance(), List.of());
        }
        Set<InetAddress> both = new LinkedHashSet<>(a.peers());
        both.addAll(b.peers());
        return new Rule(a.vrid(), a.instance(), List.copyOf(both));
    }

    /**
     * The filter that lets in whatever this one or {@code other} (of the same channel) lets in: their rules merged per
     * VRID, as for two instances with one VRID. The kernel checks sources only if both filters have it check them, so
     * that the union never keeps out what either lets in.
     */
    AdvertSocketFilter union(AdvertSocketFilter other) {
        if (other.family != family || !other.channel.equals(channel)) {
            throw new IllegalArgumentException("filter of " + other.channel + " (expected: one of " + channel + ")");
        }
        Map<Integer, Rule> merged = new TreeMap<>(rules);
        other.rules.forEach((vrid, r) -> merged.merge(vrid, r, AdvertSocketFilter::either));
        return new AdvertSocketFilter(family, channel, merged, sources && other.sources);
    }

    /** A channel's two sockets, as {@link #change} sees them: each call replaces one socket's kernel program. */
    interface Sockets {
        /** From now on the advert socket lets in what {@code f} lets in ({@code f.program(true)}). */
        void adverts(AdvertSocketFilter f) throws NativeException;

        /** From now on the socket beside it lets in what {@code f} keeps out ({@code f.program(false)}). */
        void rest(AdvertSocketFilter f) throws NativeException;
    }

    /**
     * Replaces the programs of a channel's two {@code sockets}, {@code from}'s, with {@code to}'s, in three steps: the
     * advert socket takes the union of the two filters, then the socket beside it takes {@code to}'s complement, then
     * the advert socket takes {@code to}'s program. (Replacing the complement first would, for a moment, keep a packet
     * only {@code to} lets in out of both sockets: never queued, never counted.)
     *
     * <p>What is guaranteed, before, between and after the steps, and also after a failure: every packet reaches at
     * least one of the two sockets, so none is lost uncounted. What is not: during the change, a packet that one of the
     * two filters lets in and the other does not may reach both sockets, and so be handled by the loop and also
     * counted as kept out (or handed to the loop twice). A failed step is undone in reverse order, through states that
     * keep the guarantee, and its failure is thrown: {@code from} is in force again unless undoing failed too (the
     * failures of undoing are suppressed in the one thrown).
     */
    static void change(Sockets sockets, AdvertSocketFilter from, AdvertSocketFilter to) throws NativeException {
        sockets.adverts(from.union(to));
        try {
            sockets.rest(to);
        } catch (NativeException | RuntimeException e) {
            undo(e, () -> sockets.adverts(from));
            throw e;
        }
        try {
            sockets.adverts(to);
        } catch (NativeException | RuntimeException e) {
            // The complement back first: the advert socket's union still covers what from's complement keeps out.
            if (undo(e, () -> sockets.rest(from))) {
                undo(e, () -> sockets.adverts(from));
            }
            throw e;
        }
    }

    /** A step that undoes one of {@link #change}'s. */
    private interface Undo {
        void run() throws NativeException;
    }

    /** Runs {@code step}; false, with its failure suppressed in {@code failure}, when it failed. */
    private static boolean undo(Exception failure, Undo step) {
        try {
            step.run();
            return true;
        } catch (NativeException | RuntimeException e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    /**
     * Why the advert socket's filter keeps a packet from {@code source} with VRRP message {@code message} out; null
     * when it lets it in.
     */
    AdvertFilter.Rejection classify(InetAddress source, byte[] message) {
        if (message.length < 2) {
            return null;
        }
        Rule r = rules.get(message[1] & 0xff);
        if (r == null) {
            return new AdvertFilter.Rejection(DropReason.VRID_ERROR, "no instance with vrid " + (message[1] & 0xff)
                    + " on " + channel);
        }
        if (sources && !r.peers().isEmpty() && r.peers().stream().noneMatch(p -> Arrays.equals(p.getAddress(), source.getAddress()))) {
            return new AdvertFilter.Rejection(DropReason.UNICAST_SOURCE_ERROR, "source " + IpAddresses.text(source)
                    + " (expected one of unicast-peers)");
        }
        return null;
    }

    /** The instance a packet with VRRP message {@code message} was for: "" when none has its VRID. */
    String instance(byte[] message) {
        Rule r = message.length < 2 ? null : rules.get(message[1] & 0xff);
        return r == null ? "" : r.instance();
    }

    /**
     * The kernel's program: for the advert socket ({@code adverts}), keeping what {@link #classify} lets in; for the
     * socket that counts the rest, its complement (a packet too short for a VRID goes to the advert socket only).
     */
    SocketFilter program(boolean adverts) {
        return adverts ? this.adverts : rest;
    }

    /** Whether the kernel checks unicast sources (else VRIDs only; see {@link #sources}). */
    boolean checksSources() {
        return sources;
    }

    private SocketFilter build(boolean adverts, boolean sources) {
        int in = adverts ? SocketFilter.KEEP : SocketFilter.DROP;
        int out = adverts ? SocketFilter.DROP : SocketFilter.KEEP;
        boolean v4 = family == IpFamily.IPV4;
        SocketFilter.Builder b = new SocketFilter.Builder();
        // Offset 0: the IPv4 header on a raw IPv4 socket, the VRRP message on a raw IPv6 one (SocketFilter).
        if (v4) {
            b.loadHeaderLengthToX(0).xToA().addToA(2).aToX().loadLength().ifAtLeastX("vrid", null).ret(in);
            b.label("vrid").loadHeaderLengthToX(0);
        } else {
            b.loadLength().ifAtLeast(2, "vrid", null).ret(in);
            b.label("vrid");
        }
        List<Rule> list = new ArrayList<>(rules.values());
        for (int n = 0; n < list.size(); n++) {
            Rule r = list.get(n);
            String next = "rule" + (n + 1);
            if (v4) {
                b.loadByteAtX(1);
            } else {
                b.loadByte(1);
            }
            b.ifEquals(r.vrid(), "match" + n, null).jump(next).label("match" + n);
            if (r.peers().isEmpty() || !sources) {
                b.ret(in);
            } else {
                for (int p = 0; p < r.peers().size(); p++) {
                    String nextPeer = "rule" + n + "peer" + (p + 1);
                    ByteBuffer a = ByteBuffer.wrap(r.peers().get(p).getAddress());
                    if (v4) {
                        b.loadWord(12).ifEquals(a.getInt(0), null, nextPeer);
                    } else {
                        for (int w = 0; w < 4; w++) {
                            b.loadWord(SocketFilter.NET + 8 + 4 * w).ifEquals(a.getInt(4 * w), null, nextPeer);
                        }
                    }
                    b.ret(in).label(nextPeer);
                }
                b.ret(out);
            }
            b.label(next);
        }
        b.ret(out);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdvertSocketFilter f && f.family == family && f.channel.equals(channel)
                && f.rules.equals(rules);
    }

    @Override
    public int hashCode() {
        return rules.hashCode();
    }

    /** For the log: "vrid 51, vrid 52 from 10.0.0.2". */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Rule r : rules.values()) {
            s.append(s.length() == 0 ? "" : ", ").append("vrid ").append(r.vrid());
            if (!r.peers().isEmpty()) {
                s.append(" from ").append(String.join(" ", r.peers().stream().map(IpAddresses::text).toList()));
            }
        }
        return s + (sources ? "" : " (sources checked by lvsd, not the kernel: too many for one program)");
    }
}
