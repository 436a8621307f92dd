package io.lvsd.linux.netlink;

import io.lvsd.linux.LazyText;
import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The few rtnetlink ({@code NETLINK_ROUTE}) requests lvsd makes: read links and addresses, add
 * and remove addresses; and the parsing of the link and address notifications that
 * {@link RtnetlinkMonitor} receives. Constants from {@code linux/rtnetlink.h},
 * {@code linux/if_link.h}, {@code linux/if_addr.h} and {@code linux/if.h}. Not thread-safe.
 */
public final class Rtnetlink implements AutoCloseable {
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;
    public static final int RTM_GETADDR = 22;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_LABEL = 3;
    static final int IFA_FLAGS = 8;
    public static final int IFF_UP = 0x1;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFA_F_SECONDARY = 0x01;
    public static final int IFA_F_NODAD = 0x02;
    public static final int RT_SCOPE_UNIVERSE = 0;
    public static final int RT_SCOPE_LINK = 253;
    /** Multicast group bits for {@link NetlinkSocket#open(int, String, int, long, int)}. */
    public static final int GROUP_LINK = 1;
    public static final int GROUP_IPV4_IFADDR = 1 << 4;
    public static final int GROUP_IPV6_IFADDR = 1 << 8;

    /** A network interface. {@link #up()} is administratively up with carrier (IFF_RUNNING). */
    public record Link(int index, String name, int flags, byte[] mac) {
        public boolean up() {
            return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
        }

        @Override
        public String toString() {
            return name + "#" + index + (up() ? " up" : " down") + (mac == null ? "" : " " + HexFormat.ofDelimiter(":").formatHex(mac));
        }
    }

    /** An interface address; {@code label} is the IPv4 label ({@code eth0:vip}), null for IPv6. */
    public record Address(int ifindex, IpPrefix prefix, int flags, int scope, String label) {
    }

    private final NetlinkSocket socket;
    private final NetlinkChannel channel;

    private Rtnetlink(NetlinkSocket socket) {
        this.socket = socket;
        this.channel = new NetlinkChannel(socket);
    }

    public static Rtnetlink open() throws NativeException {
        return new Rtnetlink(NetlinkSocket.open(Netlink.NETLINK_ROUTE, "route", 1 << 20, 5_000));
    }

    /** Every link. */
    public List<Link> links() throws NativeException {
        List<Link> out = new ArrayList<>();
        for (NlMessage m : channel.dump(NlBuilder.request(RTM_GETLINK, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP)
                .raw(ifinfomsg(0)), "RTM_GETLINK dump")) {
            if (m.type() == RTM_NEWLINK) {
                out.add(parseLink(m));
            }
        }
        return out;
    }

    /** Every address of {@code family}. */
    public List<Address> addresses(IpFamily family) throws NativeException {
        List<Address> out = new ArrayList<>();
        byte[] hdr = ifaddrmsg(family, 0, 0, 0, 0);
        for (NlMessage m : channel.dump(NlBuilder.request(RTM_GETADDR, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP)
                .raw(hdr), "RTM_GETADDR dump")) {
            if (m.type() == RTM_NEWADDR) {
                out.add(parseAddress(m));
            }
        }
        return out;
    }

    /**
     * Adds {@code prefix} to interface {@code ifindex}: IPv4 with {@code label} (may be null);
     * IPv6 with {@code IFA_F_NODAD} so that it is usable at once. EEXIST if it is there already.
     */
    public void addAddress(int ifindex, IpPrefix prefix, String label) throws NativeException {
        channel.call(addAddressRequest(ifindex, prefix, label), new LazyText("RTM_NEWADDR ", prefix, " on interface ",
                ifindex));
    }

    /** The request {@link #addAddress} sends (which a caller may build ahead, to have its code loaded). */
    public static NlBuilder addAddressRequest(int ifindex, IpPrefix prefix, String label) {
        boolean v4 = prefix.family() == IpFamily.IPV4;
        int flags = v4 ? 0 : IFA_F_NODAD;
        int scope = prefix.address().isLinkLocalAddress() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        NlBuilder r = NlBuilder.request(RTM_NEWADDR, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE
                        | Netlink.NLM_F_EXCL)
                .raw(ifaddrmsg(prefix.family(), prefix.prefixLength(), flags, scope, ifindex))
                .address(IFA_LOCAL, prefix.address()).address(IFA_ADDRESS, prefix.address())
                .u32(IFA_FLAGS, flags);
        if (v4 && label != null) {
            r.string(IFA_LABEL, label);
        }
        return r;
    }

    /** Removes {@code prefix} from interface {@code ifindex}; EADDRNOTAVAIL if it is not there. */
    public void deleteAddress(int ifindex, IpPrefix prefix) throws NativeException {
        NlBuilder r = NlBuilder.request(RTM_DELADDR, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK)
                .raw(ifaddrmsg(prefix.family(), prefix.prefixLength(), 0, 0, ifindex))
                .address(IFA_LOCAL, prefix.address()).address(IFA_ADDRESS, prefix.address());
        channel.call(r, new LazyText("RTM_DELADDR ", prefix, " on interface ", ifindex));
    }

    /** Sets interface {@code ifindex} up or down (IFF_UP), as {@code ip link set IF up|down}. */
    public void setLinkUp(int ifindex, boolean up) throws NativeException {
        NlBuilder r = NlBuilder.request(RTM_NEWLINK, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK)
                .raw(ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).put((byte) 0).put((byte) 0).putShort((short) 0)
                        .putInt(ifindex).putInt(up ? IFF_UP : 0).putInt(IFF_UP).array());
        channel.call(r, new LazyText("RTM_NEWLINK ", up ? "up" : "down", " on interface ", ifindex));
    }

    static byte[] ifinfomsg(int index) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).put((byte) 0).put((byte) 0).putShort((short) 0)
                .putInt(index).putInt(0).putInt(0).array();
    }

    static byte[] ifaddrmsg(IpFamily family, int prefixLength, int flags, int scope, int ifindex) {
        int af = family == IpFamily.IPV4 ? LinuxNative.AF_INET : family == IpFamily.IPV6 ? LinuxNative.AF_INET6 : 0;
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).put((byte) af).put((byte) prefixLength)
                .put((byte) flags).put((byte) scope).putInt(ifindex).array();
    }

    /** An RTM_NEWLINK / RTM_DELLINK message. */
    public static Link parseLink(NlMessage m) {
        ByteBuffer p = m.payload();
        if (p.remaining() < 16) {
            throw new NetlinkProtocolException("ifinfomsg: " + p.remaining() + " bytes (expected 16)");
        }
        int index = p.getInt(4);
        int flags = p.getInt(8);
        NlAttrs a = NlAttrs.parse(p.duplicate().position(16));
        ByteBuffer mac = a.get(IFLA_ADDRESS);
        byte[] hw = null;
        if (mac != null) {
            hw = new byte[mac.remaining()];
            mac.duplicate().get(hw);
        }
        return new Link(index, a.string(IFLA_IFNAME), flags, hw);
    }

    /** An RTM_NEWADDR / RTM_DELADDR message. */
    public static Address parseAddress(NlMessage m) {
        ByteBuffer p = m.payload();
        if (p.remaining() < 8) {
            throw new NetlinkProtocolException("ifaddrmsg: " + p.remaining() + " bytes (expected 8)");
        }
        int af = p.get(0) & 0xff;
        if (af != LinuxNative.AF_INET && af != LinuxNative.AF_INET6) {
            throw new NetlinkProtocolException("ifaddrmsg: family " + af + " (expected AF_INET or AF_INET6)");
        }
        int len = af == LinuxNative.AF_INET ? 4 : 16;
        int prefixLength = p.get(1) & 0xff;
        if (prefixLength > len * 8) {
            throw new NetlinkProtocolException("ifaddrmsg: prefix length " + prefixLength + " (expected 0-" + len * 8
                    + ")");
        }
        int flags = p.get(2) & 0xff;
        int scope = p.get(3) & 0xff;
        int index = p.getInt(4);
        NlAttrs a = NlAttrs.parse(p.duplicate().position(8));
        flags = (int) a.u32(IFA_FLAGS, flags);
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
        InetAddress addr = a.has(IFA_LOCAL) ? a.address(IFA_LOCAL, len) : a.address(IFA_ADDRESS, len);
        if (addr == null) {
            throw new NetlinkProtocolException("ifaddrmsg: no IFA_LOCAL or IFA_ADDRESS");
        }
        String label = addr instanceof Inet4Address ? a.string(IFA_LABEL) : null;
        return new Address(index, new IpPrefix(addr, prefixLength), flags, scope, label);
    }

    @Override
    public void close() {
        socket.close();
    }
}
