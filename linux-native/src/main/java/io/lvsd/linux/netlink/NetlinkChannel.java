package io.lvsd.linux.netlink;

import io.lvsd.linux.NativeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Request/response over a {@link NetlinkTransport}: single requests, dumps, and pipelined
 * batches where many requests share one {@code sendmsg} and each ack is matched to its request
 * by sequence number. Not thread-safe: one caller at a time (the driver thread).
 */
public final class NetlinkChannel implements AutoCloseable {
    /** Bytes per datagram at most: well under the send buffer lvsd asks for. */
    public static final int MAX_BATCH_BYTES = 192 * 1024;

    private final NetlinkTransport transport;
    private final byte[] rx = new byte[256 * 1024];
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    public NetlinkChannel(NetlinkTransport transport) {
        this.transport = transport;
    }

    /** The outcome of one request of a batch: {@code errno} 0 means applied. */
    public record Outcome(int errno, String extAck) {
        public boolean ok() {
            return errno == 0;
        }
    }

    /**
     * Sends {@code request} with an ack request; returns its replies; throws on an error. {@code what} names the
     * request in an error; it is turned into text ({@code toString}) only then, so that a request on a hot or
     * rarely run path (a VRRP takeover) does not format its description every time.
     */
    public List<NlMessage> call(NlBuilder request, Object what) throws NativeException {
        int s = ++seq;
        transport.send(request.build(s, transport.portId()));
        List<NlMessage> replies = new ArrayList<>();
        while (true) {
            for (NlMessage m : receive(what)) {
                if (m.seq() != s) {
                    continue; // a late answer to an earlier, abandoned request
                }
                if (m.type() == Netlink.NLMSG_ERROR) {
                    if (m.error() != 0) {
                        throw new NetlinkException(String.valueOf(what), -m.error(), m.extAckMessage());
                    }
                    return replies;
                }
                replies.add(m);
                if ((request.flags() & Netlink.NLM_F_ACK) == 0) {
                    return replies;
                }
            }
        }
    }

    /** Sends a dump request and collects every part until NLMSG_DONE. */
    public List<NlMessage> dump(NlBuilder request, String what) throws NativeException {
        int s = ++seq;
        transport.send(request.build(s, transport.portId()));
        List<NlMessage> parts = new ArrayList<>();
        while (true) {
            for (NlMessage m : receive(what)) {
                if (m.seq() != s) {
                    continue;
                }
                if (m.type() == Netlink.NLMSG_DONE) {
                    if ((m.flags() & Netlink.NLM_F_DUMP_INTR) != 0) {
                        // The table changed while it was being dumped: the parts are inconsistent.
                        throw new NetlinkException(what + " (dump interrupted by a concurrent change)",
                                io.lvsd.linux.LinuxNative.EINTR, null);
                    }
                    return parts;
                }
                if (m.type() == Netlink.NLMSG_ERROR) {
                    if (m.error() != 0) {
                        throw new NetlinkException(what, -m.error(), m.extAckMessage());
                    }
                    continue;
                }
                parts.add(m);
            }
        }
    }

    /**
     * Sends every request, as many per datagram as {@link #MAX_BATCH_BYTES} allows, and returns
     * one outcome per request, in order. The requests go without {@code NLM_F_ACK}: the kernel
     * answers a failed request with an error whether or not an ack was asked for
     * (net/netlink/af_netlink.c, netlink_rcv_skb), and it processes every message of a datagram
     * even after one fails. Each datagram is followed by {@code barrier}, a request with an ack;
     * errors arrive in order on the one socket, so every error before the barrier's answer belongs
     * to the batch (matched by sequence number) and every request without one was applied. One
     * receive per batch instead of one per request.
     */
    public List<Outcome> pipeline(List<NlBuilder> requests, NlBuilder barrier, String what) throws NativeException {
        Outcome[] out = new Outcome[requests.size()];
        int i = 0;
        while (i < requests.size()) {
            Map<Integer, Integer> sent = new HashMap<>();
            List<byte[]> msgs = new ArrayList<>();
            int bytes = 0;
            while (i < requests.size()) {
                NlBuilder r = requests.get(i);
                if (!msgs.isEmpty() && bytes + r.length() > MAX_BATCH_BYTES) {
                    break;
                }
                int s = ++seq;
                byte[] m = r.build(s, transport.portId());
                msgs.add(m);
                bytes += Netlink.align(m.length);
                sent.put(s, i);
                i++;
            }
            byte[] datagram = new byte[bytes];
            int off = 0;
            for (byte[] m : msgs) {
                System.arraycopy(m, 0, datagram, off, m.length);
                off += Netlink.align(m.length);
            }
            transport.send(datagram);
            int barrierSeq = ++seq;
            transport.send(barrier.build(barrierSeq, transport.portId()));
            boolean done = false;
            while (!done) {
                for (NlMessage m : receive(what)) {
                    if (m.seq() == barrierSeq) {
                        // The barrier's own reply may come first; its ack closes the batch.
                        done = m.type() == Netlink.NLMSG_ERROR;
                        continue;
                    }
                    Integer idx = m.type() == Netlink.NLMSG_ERROR ? sent.get(m.seq()) : null;
                    if (idx != null && m.error() != 0) {
                        out[idx] = new Outcome(-m.error(), m.extAckMessage());
                    }
                }
            }
            for (int idx : sent.values()) {
                if (out[idx] == null) {
                    out[idx] = new Outcome(0, null);
                }
            }
        }
        return List.of(out);
    }

    private List<NlMessage> receive(Object what) throws NativeException {
        int n = transport.receive(rx);
        if (n < 0) {
            throw new NativeException("recvmsg(netlink " + what + ")", io.lvsd.linux.LinuxNative.EAGAIN, "ETIMEDOUT",
                    "no answer from the kernel");
        }
        // Copied: parsed messages keep views of their bytes, and the next receive reuses rx.
        return NlMessage.parseAll(java.util.Arrays.copyOf(rx, n), n);
    }

    /** Resolves a generic-netlink family name (e.g. {@code IPVS}) to its id. */
    public int resolveFamily(String family) throws NativeException {
        NlBuilder req = NlBuilder.request(Netlink.GENL_ID_CTRL, Netlink.NLM_F_ACK)
                .genl(Netlink.CTRL_CMD_GETFAMILY, 1).string(Netlink.CTRL_ATTR_FAMILY_NAME, family);
        for (NlMessage m : call(req, "nlctrl GETFAMILY " + family)) {
            if (m.type() == Netlink.GENL_ID_CTRL) {
                return m.genlAttrs().u16(Netlink.CTRL_ATTR_FAMILY_ID, -1);
            }
        }
        throw new NetlinkException("nlctrl GETFAMILY " + family, 2, "no family id in the answer");
    }

    @Override
    public void close() {
        transport.close();
    }
}
