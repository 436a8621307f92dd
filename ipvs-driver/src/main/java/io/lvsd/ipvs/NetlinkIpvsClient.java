package io.lvsd.ipvs;

import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.netlink.Netlink;
import io.lvsd.linux.netlink.NetlinkChannel;
import io.lvsd.linux.netlink.NetlinkException;
import io.lvsd.linux.netlink.NetlinkSocket;
import io.lvsd.linux.netlink.NlAttrs;
import io.lvsd.linux.netlink.NlBuilder;
import io.lvsd.linux.netlink.NlMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The kernel's IPVS table over generic netlink. One caller at a time. */
public final class NetlinkIpvsClient implements IpvsClient {
    /** Socket buffers: enough for a pipelined batch's acks and large dumps. */
    private static final int BUFFER = 8 << 20;

    private final NetlinkChannel channel;
    private final int family;

    private NetlinkIpvsClient(NetlinkChannel channel, int family) {
        this.channel = channel;
        this.family = family;
    }

    /**
     * Opens a generic-netlink socket and resolves the IPVS family.
     *
     * @throws IpvsUnavailableException when the kernel has no IPVS
     */
    public static NetlinkIpvsClient open() throws IOException {
        NetlinkChannel ch = new NetlinkChannel(NetlinkSocket.open(Netlink.NETLINK_GENERIC, "IPVS", BUFFER, 10_000));
        try {
            return new NetlinkIpvsClient(ch, ch.resolveFamily(IpvsCodec.FAMILY));
        } catch (NetlinkException e) {
            ch.close();
            if (e.errnoName().equals("ENOENT")) {
                throw new IpvsUnavailableException();
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private NlBuilder request(int cmd, int flags) {
        return NlBuilder.request(family, flags).genl(cmd, IpvsCodec.VERSION);
    }

    @Override
    public IpvsInfo info() throws IOException {
        for (NlMessage m : channel.call(request(IpvsCodec.CMD_GET_INFO, Netlink.NLM_F_ACK), "IPVS GET_INFO")) {
            NlAttrs a = m.genlAttrs();
            return new IpvsInfo((int) a.u32(IpvsCodec.INFO_ATTR_VERSION, 0), (int) a.u32(IpvsCodec.INFO_ATTR_CONN_TAB_SIZE, 0));
        }
        throw new NativeException("recvmsg(netlink IPVS GET_INFO)", 61, "ENODATA", "no reply");
    }

    @Override
    public List<ServiceState> dump() throws IOException {
        List<ServiceState> out = new ArrayList<>();
        for (NlMessage m : channel.dump(request(IpvsCodec.CMD_GET_SERVICE, Netlink.NLM_F_DUMP), "IPVS GET_SERVICE dump")) {
            NlAttrs a = m.genlAttrs();
            VirtualService svc = IpvsCodec.parseService(a);
            Stats stats = IpvsCodec.parseServiceStats(a);
            NlBuilder req = IpvsCodec.putServiceKey(request(IpvsCodec.CMD_GET_DEST, Netlink.NLM_F_DUMP), svc.key());
            List<ServiceState.DestinationState> dests = new ArrayList<>();
            for (NlMessage d : channel.dump(req, "IPVS GET_DEST dump " + svc.key().describe())) {
                dests.add(IpvsCodec.parseDest(d.genlAttrs(), svc.key().family()));
            }
            out.add(new ServiceState(svc, stats, dests));
        }
        return out;
    }

    @Override
    public ApplyResult apply(List<IpvsOp> ops) throws IOException {
        List<NlBuilder> reqs = new ArrayList<>(ops.size());
        for (IpvsOp op : ops) {
            reqs.add(encode(op));
        }
        // GET_INFO is a cheap request with an answer: the barrier that closes each batch.
        List<NetlinkChannel.Outcome> outs = channel.pipeline(reqs, request(IpvsCodec.CMD_GET_INFO, Netlink.NLM_F_ACK),
                "IPVS batch");
        List<ApplyResult.Outcome> result = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            NetlinkChannel.Outcome o = outs.get(i);
            result.add(o.ok() ? new ApplyResult.Outcome(ops.get(i), 0, null, null)
                    : new ApplyResult.Outcome(ops.get(i), o.errno(), io.lvsd.linux.LinuxNative.errnoName(o.errno()),
                            NetlinkException.describe(o.errno(), o.extAck())));
        }
        return new ApplyResult(result);
    }

    /** The request for one operation; no ack is asked: see {@link NetlinkChannel#pipeline}. */
    NlBuilder encode(IpvsOp op) {
        int ack = 0;
        if (op instanceof IpvsOp.AddService a) {
            return IpvsCodec.putService(request(IpvsCodec.CMD_NEW_SERVICE, ack), a.service(), true);
        }
        if (op instanceof IpvsOp.EditService e) {
            return IpvsCodec.putService(request(IpvsCodec.CMD_SET_SERVICE, ack), e.service(), true);
        }
        if (op instanceof IpvsOp.DeleteService d) {
            return IpvsCodec.putServiceKey(request(IpvsCodec.CMD_DEL_SERVICE, ack), d.key());
        }
        if (op instanceof IpvsOp.AddDest a) {
            return IpvsCodec.putDest(IpvsCodec.putServiceKey(request(IpvsCodec.CMD_NEW_DEST, ack), a.key()),
                    a.destination().address(), a.destination(), true);
        }
        if (op instanceof IpvsOp.EditDest e) {
            return IpvsCodec.putDest(IpvsCodec.putServiceKey(request(IpvsCodec.CMD_SET_DEST, ack), e.key()),
                    e.destination().address(), e.destination(), true);
        }
        IpvsOp.DeleteDest d = (IpvsOp.DeleteDest) op;
        return IpvsCodec.putDest(IpvsCodec.putServiceKey(request(IpvsCodec.CMD_DEL_DEST, ack), d.key()), d.address(), null, false);
    }

    @Override
    public IpvsTimeouts timeouts() throws IOException {
        for (NlMessage m : channel.call(request(IpvsCodec.CMD_GET_CONFIG, Netlink.NLM_F_ACK), "IPVS GET_CONFIG")) {
            NlAttrs a = m.genlAttrs();
            return new IpvsTimeouts(seconds(a.u32(IpvsCodec.CMD_ATTR_TIMEOUT_TCP, 0)),
                    seconds(a.u32(IpvsCodec.CMD_ATTR_TIMEOUT_TCP_FIN, 0)), seconds(a.u32(IpvsCodec.CMD_ATTR_TIMEOUT_UDP, 0)));
        }
        throw new NativeException("recvmsg(netlink IPVS GET_CONFIG)", 61, "ENODATA", "no reply");
    }

    private static Duration seconds(long s) {
        return s == 0 ? null : Duration.ofSeconds(s);
    }

    @Override
    public void setTimeouts(IpvsTimeouts t) throws IOException {
        NlBuilder b = request(IpvsCodec.CMD_SET_CONFIG, Netlink.NLM_F_ACK);
        if (t.tcp() != null) {
            b.u32(IpvsCodec.CMD_ATTR_TIMEOUT_TCP, t.tcp().toSeconds());
        }
        if (t.tcpFin() != null) {
            b.u32(IpvsCodec.CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin().toSeconds());
        }
        if (t.udp() != null) {
            b.u32(IpvsCodec.CMD_ATTR_TIMEOUT_UDP, t.udp().toSeconds());
        }
        channel.call(b, "IPVS SET_CONFIG");
    }

    @Override
    public List<SyncDaemon> daemons() throws IOException {
        List<SyncDaemon> out = new ArrayList<>();
        for (NlMessage m : channel.dump(request(IpvsCodec.CMD_GET_DAEMON, Netlink.NLM_F_DUMP), "IPVS GET_DAEMON dump")) {
            out.add(IpvsCodec.parseDaemon(m.genlAttrs()));
        }
        return out;
    }

    @Override
    public void startDaemon(SyncDaemon d) throws IOException {
        channel.call(IpvsCodec.putDaemon(request(IpvsCodec.CMD_NEW_DAEMON, Netlink.NLM_F_ACK), d),
                "IPVS NEW_DAEMON " + d.role().key() + " on " + d.interfaceName());
    }

    @Override
    public void stopDaemon(SyncDaemon.Role role) throws IOException {
        channel.call(request(IpvsCodec.CMD_DEL_DAEMON, Netlink.NLM_F_ACK).nest(IpvsCodec.CMD_ATTR_DAEMON)
                .u32(IpvsCodec.DAEMON_ATTR_STATE, role.state()).end(), "IPVS DEL_DAEMON " + role.key());
    }

    @Override
    public void zero() throws IOException {
        channel.call(request(IpvsCodec.CMD_ZERO, Netlink.NLM_F_ACK), "IPVS ZERO");
    }

    @Override
    public void flush() throws IOException {
        channel.call(request(IpvsCodec.CMD_FLUSH, Netlink.NLM_F_ACK), "IPVS FLUSH");
    }

    @Override
    public void close() {
        channel.close();
    }
}
