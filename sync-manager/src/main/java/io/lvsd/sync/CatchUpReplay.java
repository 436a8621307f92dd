package io.lvsd.sync;

import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.internal.SyncCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns the master's connection table into the version 1 sync messages its kernel would have sent for each entry
 * (see {@link CatchUp}). Pure: table rows in, datagrams out, in the order given.
 *
 * <p>Each entry's flags are what the master's kernel holds for it: the destination's forwarding method (with
 * NOOUTPUT for every method but NAT), TEMPLATE for persistence templates, and INACTIVE for a connection that is
 * not established, as ip_vs_ctl.c and the protocols' state tables set them. A receiving kernel whose table has
 * the destination binds the connection to it; without the destination it still forwards by the method sent.
 * Entries the table cannot place (no service has their destination) and persistence-engine entries (their data
 * is not in /proc) are skipped and counted.
 */
public final class CatchUpReplay {
    /** IP header + UDP header, per family. */
    static final int IPV4_OVERHEAD = 28;
    static final int IPV6_OVERHEAD = 48;
    static final int MAX_ENTRIES = 255;

    private final Map<AddrKey, Map<InetSocketAddress, Forwarding>> byAddress = new HashMap<>();
    private final Map<FwmarkKey, Map<InetSocketAddress, Forwarding>> byFwmark = new HashMap<>();
    private final int syncId;
    private final int maxDatagram;
    private final Consumer<byte[]> send;
    private final List<SyncConnection> pending = new ArrayList<>();
    private int pendingBytes = SyncCodec.HEADER_V1;
    private long replayed;
    private long unplaced;
    private long persistenceEngine;
    private long datagrams;

    private record AddrKey(int protocol, InetAddress address, int port) {
    }

    private record FwmarkKey(IpFamily family, long fwmark) {
    }

    /** What a replay sent and skipped. */
    public record Result(long replayed, long datagrams, long unplaced, long persistenceEngine) {
    }

    /**
     * @param table       the master's IPVS table, for each destination's forwarding method
     * @param syncId      the master's sync id, sent in every message
     * @param mtu         the sync interface's MTU; a datagram never exceeds it
     * @param family      the sync group's family (its headers count against the MTU)
     * @param send        receives each datagram
     */
    public CatchUpReplay(List<ServiceState> table, int syncId, int mtu, IpFamily family, Consumer<byte[]> send) {
        this.syncId = syncId;
        this.maxDatagram = mtu - (family == IpFamily.IPV6 ? IPV6_OVERHEAD : IPV4_OVERHEAD);
        if (maxDatagram < SyncCodec.HEADER_V1 + SyncCodec.ENTRY_V6) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: room for one IPv6 entry)");
        }
        this.send = send;
        for (ServiceState s : table) {
            Map<InetSocketAddress, Forwarding> dests = new HashMap<>();
            for (ServiceState.DestinationState d : s.destinations()) {
                Destination dest = d.destination();
                dests.put(dest.address(), dest.forwarding());
            }
            if (s.service().key() instanceof ServiceKey.Addr a) {
                byAddress.put(new AddrKey(a.protocol().number(), a.endpoint().getAddress(), a.endpoint().getPort()),
                        dests);
            } else {
                ServiceKey k = s.service().key();
                byFwmark.put(new FwmarkKey(k.family(), k.fwmark()), dests);
            }
        }
    }

    /** Adds one row of the table; sends a datagram whenever the next entry would not fit. */
    public void add(ConnTable.Entry e) {
        if (e.peName() != null) {
            persistenceEngine++;
            return;
        }
        boolean template = e.template();
        Placed p = place(e, template);
        if (p == null) {
            unplaced++;
            return;
        }
        int state = SyncConnection.stateNumber(e.protocol(), template, e.state());
        if (state < 0) {
            unplaced++;
            return;
        }
        int flags = p.forwarding.kernelValue();
        if (p.forwarding != Forwarding.NAT) {
            flags |= SyncConnection.F_NOOUTPUT;
        }
        if (template) {
            flags |= SyncConnection.F_TEMPLATE;
        } else if (!e.state().equals("ESTABLISHED")) {
            flags |= SyncConnection.F_INACTIVE; // UDP has no established state: always inactive, as on the master
        }
        IpFamily family = IpAddresses.family(e.client());
        // A template of a firewall-mark service has no protocol of its own; the kernel keeps IPPROTO_IP (0).
        SyncConnection c = new SyncConnection(family, e.protocol(), flags, state, e.client(), e.clientPort(),
                e.virtual(), e.virtualPort(), e.real(), e.realPort(), p.fwmark, Math.max(1, e.expiresSeconds()),
                null, null, null, List.of());
        int size = family == IpFamily.IPV6 ? SyncCodec.ENTRY_V6 : SyncCodec.ENTRY_V4;
        if (pending.size() == MAX_ENTRIES || pendingBytes + size > maxDatagram) {
            flush();
        }
        pending.add(c);
        pendingBytes += size;
        replayed++;
    }

    /** Sends what is left and says what was done. */
    public Result finish() {
        flush();
        return new Result(replayed, datagrams, unplaced, persistenceEngine);
    }

    private record Placed(Forwarding forwarding, long fwmark) {
    }

    private Placed place(ConnTable.Entry e, boolean template) {
        InetSocketAddress real = new InetSocketAddress(e.real(), e.realPort());
        IpFamily family = IpAddresses.family(e.client());
        if (template && e.protocol() == 0) {
            // ip_vs_sched_persist: a firewall-mark template's virtual address is the mark itself (IPv4 form).
            long mark = ByteBuffer.wrap(e.virtual().getAddress(), 0, 4).getInt() & 0xffffffffL;
            Map<InetSocketAddress, Forwarding> d = byFwmark.get(new FwmarkKey(family, mark));
            Forwarding f = d == null ? null : dest(d, real);
            return f == null ? null : new Placed(f, mark);
        }
        for (int port : new int[] {e.virtualPort(), 0}) {
            Map<InetSocketAddress, Forwarding> d = byAddress.get(new AddrKey(e.protocol(), e.virtual(), port));
            Forwarding f = d == null ? null : dest(d, real);
            if (f != null) {
                return new Placed(f, 0);
            }
        }
        // A connection of a firewall-mark service: the one mark service of its family with this destination.
        Placed found = null;
        for (Map.Entry<FwmarkKey, Map<InetSocketAddress, Forwarding>> m : byFwmark.entrySet()) {
            Forwarding f = m.getKey().family() == family ? dest(m.getValue(), real) : null;
            if (f != null) {
                if (found != null) {
                    return null; // two marks reach this destination: which one is not in the table
                }
                found = new Placed(f, m.getKey().fwmark());
            }
        }
        return found;
    }

    /** The destination at {@code real}, or at its address with port 0 (a port-0 service's connections keep theirs). */
    private static Forwarding dest(Map<InetSocketAddress, Forwarding> dests, InetSocketAddress real) {
        Forwarding f = dests.get(real);
        return f != null ? f : dests.get(new InetSocketAddress(real.getAddress(), 0));
    }

    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        send.accept(SyncCodec.encode(new SyncMessage(SyncCodec.VERSION_1, syncId, pending)));
        datagrams++;
        pending.clear();
        pendingBytes = SyncCodec.HEADER_V1;
    }
}
