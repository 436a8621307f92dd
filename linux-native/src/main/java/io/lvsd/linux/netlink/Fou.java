package io.lvsd.linux.netlink;

import io.lvsd.linux.LazyText;
import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's FOU and GUE receive ports in this network namespace ({@code ip fou add|del|show}), over generic
 * netlink family {@code fou}. Constants from {@code include/uapi/linux/fou.h}; the behaviour is
 * {@code net/ipv4/fou_core.c}'s: a port is one UDP socket per address family whose packets the kernel decapsulates,
 * for GUE by the protocol in the GUE header. Asking for the family loads the {@code fou} module when it can
 * ({@code request_module} in genetlink): a caller that must change nothing checks the module first. Not
 * thread-safe.
 */
public final class Fou implements AutoCloseable {
    public static final String FAMILY = "fou";
    static final int VERSION = 1;
    static final int CMD_ADD = 1;
    static final int CMD_DEL = 2;
    static final int CMD_GET = 3;
    static final int ATTR_PORT = 1;
    static final int ATTR_AF = 2;
    static final int ATTR_IPPROTO = 3;
    static final int ATTR_TYPE = 4;

    /** FOU_ENCAP_*: how a port decapsulates. */
    public enum Encap {
        /** Foo-over-UDP: the payload is a packet of the port's IP protocol. */
        DIRECT(1),
        /** Generic UDP Encapsulation: a GUE header names the payload's protocol. */
        GUE(2);

        private final int value;

        Encap(int value) {
            this.value = value;
        }

        public int value() {
            return value;
        }

        /** The encapsulation of kernel value {@code v}. */
        public static Encap valueOf(int v) {
            for (Encap e : values()) {
                if (e.value == v) {
                    return e;
                }
            }
            throw new NetlinkProtocolException("FOU_ATTR_TYPE: " + v + " (expected 1 (direct) or 2 (gue))");
        }
    }

    /**
     * A receive port.
     *
     * @param port    the UDP port
     * @param family  the family of its socket
     * @param encap   direct (FOU) or GUE
     * @param ipproto for direct: the IP protocol of the payload; 0 for GUE
     */
    public record Port(int port, IpFamily family, Encap encap, int ipproto) {
        public Port {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected 1-65535)");
            }
            java.util.Objects.requireNonNull(family, "family");
            java.util.Objects.requireNonNull(encap, "encap");
        }

        /** A GUE port. */
        public static Port gue(int port, IpFamily family) {
            return new Port(port, family, Encap.GUE, 0);
        }

        /** As {@code ip fou} spells it: {@code port 5555 gue}, {@code port 5555 gue -6}, {@code port 7777 ipproto 47}. */
        @Override
        public String toString() {
            return "port " + port + (encap == Encap.GUE ? " gue" : " ipproto " + ipproto)
                    + (family == IpFamily.IPV6 ? " -6" : "");
        }
    }

    private final NetlinkSocket socket;
    private final NetlinkChannel channel;
    private final int familyId;

    private Fou(NetlinkSocket socket, NetlinkChannel channel, int familyId) {
        this.socket = socket;
        this.channel = channel;
        this.familyId = familyId;
    }

    /** Opens a generic-netlink socket and resolves the family (ENOENT when the kernel has no fou). */
    public static Fou open() throws NativeException {
        NetlinkSocket s = NetlinkSocket.open(Netlink.NETLINK_GENERIC, "fou", 1 << 16, 5_000);
        try {
            NetlinkChannel c = new NetlinkChannel(s);
            return new Fou(s, c, c.resolveFamily(FAMILY));
        } catch (NativeException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Every port in this namespace ({@code ip fou show}). */
    public List<Port> ports() throws NativeException {
        List<Port> out = new ArrayList<>();
        for (NlMessage m : channel.dump(dumpRequest(familyId), "fou GET dump")) {
            if (m.type() == familyId) {
                out.add(parsePort(m));
            }
        }
        return out;
    }

    /** Opens {@code p} ({@code ip fou add}); EALREADY when a port of that number and family is there. */
    public void add(Port p) throws NativeException {
        channel.call(addRequest(familyId, p), new LazyText("fou ADD ", p));
    }

    /** Closes {@code p} ({@code ip fou del}); EINVAL when no such port is there. */
    public void delete(Port p) throws NativeException {
        channel.call(deleteRequest(familyId, p), new LazyText("fou DEL ", p));
    }

    /** FOU_CMD_ADD: the port (network order), its family, the encapsulation and, for direct, the protocol. */
    static NlBuilder addRequest(int familyId, Port p) {
        NlBuilder r = NlBuilder.request(familyId, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK).genl(CMD_ADD, VERSION)
                .be16(ATTR_PORT, p.port()).u8(ATTR_AF, p.family().af()).u8(ATTR_TYPE, p.encap().value());
        if (p.encap() == Encap.DIRECT) {
            r.u8(ATTR_IPPROTO, p.ipproto());
        }
        return r;
    }

    /** FOU_CMD_DEL: a port is found by number and family (and local or peer addresses, which lvsd never sets). */
    static NlBuilder deleteRequest(int familyId, Port p) {
        return NlBuilder.request(familyId, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK).genl(CMD_DEL, VERSION)
                .be16(ATTR_PORT, p.port()).u8(ATTR_AF, p.family().af());
    }

    static NlBuilder dumpRequest(int familyId) {
        return NlBuilder.request(familyId, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP).genl(CMD_GET, VERSION);
    }

    /** One port of a FOU_CMD_GET answer. */
    static Port parsePort(NlMessage m) {
        NlAttrs a = m.genlAttrs();
        int port = a.be16(ATTR_PORT, 0);
        if (port == 0) {
            throw new NetlinkProtocolException("fou GET: no FOU_ATTR_PORT");
        }
        int af = a.u8(ATTR_AF, LinuxNative.AF_INET);
        IpFamily family;
        if (af == LinuxNative.AF_INET) {
            family = IpFamily.IPV4;
        } else if (af == LinuxNative.AF_INET6) {
            family = IpFamily.IPV6;
        } else {
            throw new NetlinkProtocolException("FOU_ATTR_AF: " + af + " (expected 2 (AF_INET) or 10 (AF_INET6))");
        }
        Encap encap = Encap.valueOf(a.u8(ATTR_TYPE, Encap.DIRECT.value()));
        return new Port(port, family, encap, encap == Encap.GUE ? 0 : a.u8(ATTR_IPPROTO, 0));
    }

    @Override
    public void close() {
        socket.close();
    }
}
