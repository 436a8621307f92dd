package io.lvsd.vrrp.internal;

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

    private AdvertSocketFilter(IpFamily family, String channel, Map<Integer, Rule> rules) {
        this.family = family;
        this.channel = channel;
        this.rules = rules;
        SocketFilter a;
        boolean s = true;
        try {
            a = build(true, true);
        } catch (IllegalStateException tooLong) {
            a = build(true, false);
            s = false;
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
            Rule had = rules.get(c.virtualRouterId());
            if (had != null) { // two instances with one VRID on a channel: let in what either takes
                if (had.peers().isEmpty() || peers.isEmpty()) {
                    peers = List.of();
                } else {
                    Set<InetAddress> both = new LinkedHashSet<>(had.peers());
                    both.addAll(peers);
                    peers = List.copyOf(both);
                }
            }
            rules.put(c.virtualRouterId(), new Rule(c.virtualRouterId(), had == null ? c.name() : had.instance(),
                    List.copyOf(peers)));
        }
        return new AdvertSocketFilter(family, channel, rules);
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
