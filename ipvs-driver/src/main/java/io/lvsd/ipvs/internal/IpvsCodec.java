package io.lvsd.ipvs.internal;

import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.ipvs.Stats;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.netlink.NetlinkProtocolException;
import io.lvsd.linux.netlink.NlAttrs;
import io.lvsd.linux.netlink.NlBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The IPVS generic-netlink messages, as pure functions. Constants are those of
 * include/uapi/linux/ip_vs.h; the kernel side is net/netfilter/ipvs/ip_vs_ctl.c.
 */
public final class IpvsCodec {
    private IpvsCodec() {
    }

    public static final String FAMILY = "IPVS";
    public static final int VERSION = 1;

    public static final int CMD_NEW_SERVICE = 1;
    public static final int CMD_SET_SERVICE = 2;
    public static final int CMD_DEL_SERVICE = 3;
    public static final int CMD_GET_SERVICE = 4;
    public static final int CMD_NEW_DEST = 5;
    public static final int CMD_SET_DEST = 6;
    public static final int CMD_DEL_DEST = 7;
    public static final int CMD_GET_DEST = 8;
    public static final int CMD_NEW_DAEMON = 9;
    public static final int CMD_DEL_DAEMON = 10;
    public static final int CMD_GET_DAEMON = 11;
    public static final int CMD_SET_CONFIG = 12;
    public static final int CMD_GET_CONFIG = 13;
    public static final int CMD_GET_INFO = 15;
    public static final int CMD_ZERO = 16;
    public static final int CMD_FLUSH = 17;

    public static final int CMD_ATTR_SERVICE = 1;
    public static final int CMD_ATTR_DEST = 2;
    public static final int CMD_ATTR_DAEMON = 3;
    public static final int CMD_ATTR_TIMEOUT_TCP = 4;
    public static final int CMD_ATTR_TIMEOUT_TCP_FIN = 5;
    public static final int CMD_ATTR_TIMEOUT_UDP = 6;

    public static final int SVC_ATTR_AF = 1;
    public static final int SVC_ATTR_PROTOCOL = 2;
    public static final int SVC_ATTR_ADDR = 3;
    public static final int SVC_ATTR_PORT = 4;
    public static final int SVC_ATTR_FWMARK = 5;
    public static final int SVC_ATTR_SCHED_NAME = 6;
    public static final int SVC_ATTR_FLAGS = 7;
    public static final int SVC_ATTR_TIMEOUT = 8;
    public static final int SVC_ATTR_NETMASK = 9;
    public static final int SVC_ATTR_STATS = 10;
    public static final int SVC_ATTR_PE_NAME = 11;
    public static final int SVC_ATTR_STATS64 = 12;

    public static final int DEST_ATTR_ADDR = 1;
    public static final int DEST_ATTR_PORT = 2;
    public static final int DEST_ATTR_FWD_METHOD = 3;
    public static final int DEST_ATTR_WEIGHT = 4;
    public static final int DEST_ATTR_U_THRESH = 5;
    public static final int DEST_ATTR_L_THRESH = 6;
    public static final int DEST_ATTR_ACTIVE_CONNS = 7;
    public static final int DEST_ATTR_INACT_CONNS = 8;
    public static final int DEST_ATTR_PERSIST_CONNS = 9;
    public static final int DEST_ATTR_STATS = 10;
    public static final int DEST_ATTR_ADDR_FAMILY = 11;
    public static final int DEST_ATTR_STATS64 = 12;
    public static final int DEST_ATTR_TUN_TYPE = 13;
    public static final int DEST_ATTR_TUN_PORT = 14;
    public static final int DEST_ATTR_TUN_FLAGS = 15;

    public static final int DAEMON_ATTR_STATE = 1;
    public static final int DAEMON_ATTR_MCAST_IFN = 2;
    public static final int DAEMON_ATTR_SYNC_ID = 3;
    public static final int DAEMON_ATTR_SYNC_MAXLEN = 4;
    public static final int DAEMON_ATTR_MCAST_GROUP = 5;
    public static final int DAEMON_ATTR_MCAST_GROUP6 = 6;
    public static final int DAEMON_ATTR_MCAST_PORT = 7;
    public static final int DAEMON_ATTR_MCAST_TTL = 8;

    public static final int STATS_CONNS = 1;
    public static final int STATS_INPKTS = 2;
    public static final int STATS_OUTPKTS = 3;
    public static final int STATS_INBYTES = 4;
    public static final int STATS_OUTBYTES = 5;
    public static final int STATS_CPS = 6;
    public static final int STATS_INPPS = 7;
    public static final int STATS_OUTPPS = 8;
    public static final int STATS_INBPS = 9;
    public static final int STATS_OUTBPS = 10;

    public static final int INFO_ATTR_VERSION = 1;
    public static final int INFO_ATTR_CONN_TAB_SIZE = 2;

    /** The identifying attributes of a service, and with {@code full} its settings too. */
    public static NlBuilder putService(NlBuilder b, VirtualService s, boolean full) {
        putServiceKey(b, s.key(), s, full);
        return b;
    }

    /** A service key alone (for DEL_SERVICE, GET_DEST, DEL_DEST and friends). */
    public static NlBuilder putServiceKey(NlBuilder b, ServiceKey key) {
        return putServiceKey(b, key, null, false);
    }

    private static NlBuilder putServiceKey(NlBuilder b, ServiceKey key, VirtualService s, boolean full) {
        b.nest(CMD_ATTR_SERVICE).u16(SVC_ATTR_AF, key.family().af());
        if (key instanceof ServiceKey.Fwmark f) {
            b.u32(SVC_ATTR_FWMARK, f.fwmark());
        } else {
            ServiceKey.Addr a = (ServiceKey.Addr) key;
            b.u16(SVC_ATTR_PROTOCOL, a.protocol().number())
                    .inetAddr(SVC_ATTR_ADDR, a.endpoint().getAddress())
                    .be16(SVC_ATTR_PORT, a.endpoint().getPort());
        }
        if (full) {
            b.string(SVC_ATTR_SCHED_NAME, s.scheduler());
            if (s.peName() != null) {
                b.string(SVC_ATTR_PE_NAME, s.peName());
            }
            // struct ip_vs_flags { flags; mask; }: an all-ones mask replaces every flag.
            b.u32Pair(SVC_ATTR_FLAGS, s.flags(), 0xFFFF_FFFFL)
                    .u32(SVC_ATTR_TIMEOUT, s.timeout());
            putNetmask(b, s.key().family(), s.netmask());
        }
        return b.end();
    }

    /**
     * IPVS_SVC_ATTR_NETMASK is declared be32 and the kernel copies it verbatim: for IPv4 it is
     * the netmask in network order; for IPv6 it holds the prefix length, which the kernel
     * checks (1-128) as a plain number, so it travels in host order (as ipvsadm sends it).
     */
    static void putNetmask(NlBuilder b, IpFamily family, long netmask) {
        if (family == IpFamily.IPV4) {
            b.be32(SVC_ATTR_NETMASK, netmask);
        } else {
            b.u32(SVC_ATTR_NETMASK, netmask);
        }
    }

    /** A destination's identifying attributes, and with {@code full} its settings. */
    public static NlBuilder putDest(NlBuilder b, InetSocketAddress address, Destination d, boolean full) {
        b.nest(CMD_ATTR_DEST)
                .inetAddr(DEST_ATTR_ADDR, address.getAddress())
                .be16(DEST_ATTR_PORT, address.getPort())
                .u16(DEST_ATTR_ADDR_FAMILY, IpAddresses.family(address.getAddress()).af());
        if (full) {
            b.u32(DEST_ATTR_FWD_METHOD, d.forwarding().kernelValue())
                    .u32(DEST_ATTR_WEIGHT, d.weight())
                    .u32(DEST_ATTR_U_THRESH, d.upperThreshold())
                    .u32(DEST_ATTR_L_THRESH, d.lowerThreshold());
            if (d.forwarding() == Forwarding.TUN) {
                b.u8(DEST_ATTR_TUN_TYPE, d.tunnel().type().kernelValue())
                        .be16(DEST_ATTR_TUN_PORT, d.tunnel().port())
                        .u16(DEST_ATTR_TUN_FLAGS, d.tunnel().checksum().flag());
            }
        }
        return b.end();
    }

    /**
     * Reads the service of a NEW_SERVICE dump message. A value the model rejects (a port, a weight, a mark out of
     * range) is a {@link NetlinkProtocolException} naming the attribute, as a malformed one is.
     */
    public static VirtualService parseService(NlAttrs msg) {
        return checked("IPVS_CMD_ATTR_SERVICE", () -> parseServiceUnchecked(msg));
    }

    /** Runs a parse; the model's IllegalArgumentException becomes the typed error, prefixed with {@code what}. */
    private static <T> T checked(String what, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) { // NetlinkProtocolException is not one: it passes as it is
            throw new NetlinkProtocolException(what + ": " + e.getMessage());
        }
    }

    private static VirtualService parseServiceUnchecked(NlAttrs msg) {
        NlAttrs a = required(msg.nested(CMD_ATTR_SERVICE), "IPVS_CMD_ATTR_SERVICE");
        int af = a.u16(SVC_ATTR_AF, -1);
        IpFamily family = family(af, "IPVS_SVC_ATTR_AF");
        ServiceKey key;
        long fwmark = a.u32(SVC_ATTR_FWMARK, 0);
        if (fwmark != 0) {
            key = new ServiceKey.Fwmark(family, fwmark);
        } else {
            int proto = a.u16(SVC_ATTR_PROTOCOL, -1);
            Protocol p = Arrays.stream(Protocol.values()).filter(x -> x.number() == proto).findFirst()
                    .orElseThrow(() -> new NetlinkProtocolException("IPVS_SVC_ATTR_PROTOCOL: " + proto + " (expected 6, 17 or 132)"));
            key = new ServiceKey.Addr(p, new InetSocketAddress(address(a, SVC_ATTR_ADDR, family, "IPVS_SVC_ATTR_ADDR"),
                    a.be16(SVC_ATTR_PORT, 0)));
        }
        ByteBuffer flags = a.get(SVC_ATTR_FLAGS);
        int f = flags == null || flags.remaining() < 4 ? 0 : flags.getInt(0);
        return new VirtualService(key, required(a.string(SVC_ATTR_SCHED_NAME), "IPVS_SVC_ATTR_SCHED_NAME"), f,
                a.u32(SVC_ATTR_TIMEOUT, 0),
                family == IpFamily.IPV4 ? a.be32(SVC_ATTR_NETMASK, VirtualService.fullNetmask(family))
                        : a.u32(SVC_ATTR_NETMASK, VirtualService.fullNetmask(family)),
                a.string(SVC_ATTR_PE_NAME));
    }

    public static Stats parseServiceStats(NlAttrs msg) {
        NlAttrs a = required(msg.nested(CMD_ATTR_SERVICE), "IPVS_CMD_ATTR_SERVICE");
        return stats(a.nested(SVC_ATTR_STATS64), a.nested(SVC_ATTR_STATS));
    }

    /** Reads the destination of a NEW_DEST dump message. */
    public static ServiceState.DestinationState parseDest(NlAttrs msg, IpFamily serviceFamily) {
        return checked("IPVS_CMD_ATTR_DEST", () -> parseDestUnchecked(msg, serviceFamily));
    }

    private static ServiceState.DestinationState parseDestUnchecked(NlAttrs msg, IpFamily serviceFamily) {
        NlAttrs a = required(msg.nested(CMD_ATTR_DEST), "IPVS_CMD_ATTR_DEST");
        int af = a.u16(DEST_ATTR_ADDR_FAMILY, serviceFamily.af());
        IpFamily family = family(af, "IPVS_DEST_ATTR_ADDR_FAMILY");
        InetSocketAddress addr = new InetSocketAddress(address(a, DEST_ATTR_ADDR, family, "IPVS_DEST_ATTR_ADDR"),
                a.be16(DEST_ATTR_PORT, 0));
        Forwarding fwd = Forwarding.ofKernel(a.u32(DEST_ATTR_FWD_METHOD, 0));
        TunnelConfig tunnel = TunnelConfig.ipip();
        if (fwd == Forwarding.TUN) {
            TunnelConfig.Type type = TunnelConfig.Type.values()[Math.min(2, a.u8(DEST_ATTR_TUN_TYPE, 0))];
            int flags = a.u16(DEST_ATTR_TUN_FLAGS, 0);
            TunnelConfig.Checksum csum = (flags & 2) != 0 ? TunnelConfig.Checksum.REMCSUM
                    : (flags & 1) != 0 ? TunnelConfig.Checksum.CSUM : TunnelConfig.Checksum.NONE;
            tunnel = new TunnelConfig(type, type == TunnelConfig.Type.GUE ? a.be16(DEST_ATTR_TUN_PORT, 0) : 0, csum);
        }
        Destination d = new Destination(addr, fwd, (int) a.u32(DEST_ATTR_WEIGHT, 0), a.u32(DEST_ATTR_U_THRESH, 0),
                a.u32(DEST_ATTR_L_THRESH, 0), tunnel);
        return new ServiceState.DestinationState(d, a.u32(DEST_ATTR_ACTIVE_CONNS, 0), a.u32(DEST_ATTR_INACT_CONNS, 0),
                a.u32(DEST_ATTR_PERSIST_CONNS, 0), stats(a.nested(DEST_ATTR_STATS64), a.nested(DEST_ATTR_STATS)));
    }

    /** Counters from STATS64 (all u64) or, on old kernels, STATS (mixed widths). */
    static Stats stats(NlAttrs s64, NlAttrs s32) {
        if (s64 != null) {
            return new Stats(s64.u64(STATS_CONNS, 0), s64.u64(STATS_INPKTS, 0), s64.u64(STATS_OUTPKTS, 0),
                    s64.u64(STATS_INBYTES, 0), s64.u64(STATS_OUTBYTES, 0), s64.u64(STATS_CPS, 0), s64.u64(STATS_INPPS, 0),
                    s64.u64(STATS_OUTPPS, 0), s64.u64(STATS_INBPS, 0), s64.u64(STATS_OUTBPS, 0));
        }
        if (s32 != null) {
            return new Stats(s32.u32(STATS_CONNS, 0), s32.u32(STATS_INPKTS, 0), s32.u32(STATS_OUTPKTS, 0),
                    s32.u64(STATS_INBYTES, 0), s32.u64(STATS_OUTBYTES, 0), s32.u32(STATS_CPS, 0), s32.u32(STATS_INPPS, 0),
                    s32.u32(STATS_OUTPPS, 0), s32.u32(STATS_INBPS, 0), s32.u32(STATS_OUTBPS, 0));
        }
        return Stats.ZERO;
    }

    public static NlBuilder putDaemon(NlBuilder b, SyncDaemon d) {
        b.nest(CMD_ATTR_DAEMON)
                .u32(DAEMON_ATTR_STATE, d.role().state())
                .string(DAEMON_ATTR_MCAST_IFN, d.interfaceName())
                .u32(DAEMON_ATTR_SYNC_ID, d.syncId());
        if (d.maxlen() != 0) {
            b.u16(DAEMON_ATTR_SYNC_MAXLEN, d.maxlen());
        }
        if (d.group() != null) {
            b.address(IpAddresses.family(d.group()) == IpFamily.IPV4 ? DAEMON_ATTR_MCAST_GROUP : DAEMON_ATTR_MCAST_GROUP6,
                    d.group());
        }
        if (d.port() != 0) {
            b.u16(DAEMON_ATTR_MCAST_PORT, d.port());
        }
        if (d.ttl() != 0) {
            b.u8(DAEMON_ATTR_MCAST_TTL, d.ttl());
        }
        return b.end();
    }

    public static SyncDaemon parseDaemon(NlAttrs msg) {
        return checked("IPVS_CMD_ATTR_DAEMON", () -> parseDaemonUnchecked(msg));
    }

    private static SyncDaemon parseDaemonUnchecked(NlAttrs msg) {
        NlAttrs a = required(msg.nested(CMD_ATTR_DAEMON), "IPVS_CMD_ATTR_DAEMON");
        long state = a.u32(DAEMON_ATTR_STATE, 0);
        SyncDaemon.Role role = state == 1 ? SyncDaemon.Role.MASTER : state == 2 ? SyncDaemon.Role.BACKUP : null;
        if (role == null) {
            throw new NetlinkProtocolException("IPVS_DAEMON_ATTR_STATE: " + state + " (expected 1 or 2)");
        }
        InetAddress group = a.has(DAEMON_ATTR_MCAST_GROUP6) ? a.address(DAEMON_ATTR_MCAST_GROUP6, 16)
                : a.has(DAEMON_ATTR_MCAST_GROUP) ? a.address(DAEMON_ATTR_MCAST_GROUP, 4) : null;
        return new SyncDaemon(role, required(a.string(DAEMON_ATTR_MCAST_IFN), "IPVS_DAEMON_ATTR_MCAST_IFN"),
                (int) a.u32(DAEMON_ATTR_SYNC_ID, 0), a.u16(DAEMON_ATTR_SYNC_MAXLEN, 0), group,
                a.u16(DAEMON_ATTR_MCAST_PORT, 0), a.u8(DAEMON_ATTR_MCAST_TTL, 0));
    }

    private static InetAddress address(NlAttrs a, int type, IpFamily family, String name) {
        ByteBuffer b = required(a.get(type), name);
        int len = family == IpFamily.IPV4 ? 4 : 16;
        if (b.remaining() < len) {
            throw new NetlinkProtocolException(name + ": " + b.remaining() + " bytes (expected " + len + ")");
        }
        byte[] bytes = new byte[len];
        b.get(0, bytes);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new NetlinkProtocolException(name + ": bad address");
        }
    }

    private static IpFamily family(int af, String name) {
        if (af == IpFamily.IPV4.af()) {
            return IpFamily.IPV4;
        }
        if (af == IpFamily.IPV6.af()) {
            return IpFamily.IPV6;
        }
        throw new NetlinkProtocolException(name + ": " + af + " (expected 2 or 10)");
    }

    private static <T> T required(T v, String name) {
        if (v == null) {
            throw new NetlinkProtocolException(name + ": missing");
        }
        return v;
    }
}
