package io.lvsd.linux.netlink;

import io.lvsd.linux.LazyText;
import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
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
 * and remove addresses; read, add and remove routes; and the parsing of the link and address notifications that
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
    public static final int RTM_NEWROUTE = 24;
    public static final int RTM_DELROUTE = 25;
    public static final int RTM_GETROUTE = 26;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_TABLE = 15;
    /** {@code rtm_table} of a route whose table id does not fit 8 bits: the id is then in RTA_TABLE. */
    static final int RT_TABLE_COMPAT = 252;
    /** The local table: routes of type local there make the kernel accept packets for an address it does not carry. */
    public static final int RT_TABLE_LOCAL = 255;
    public static final int RTN_UNICAST = 1;
    public static final int RTN_LOCAL = 2;
    public static final int RTN_BLACKHOLE = 6;
    public static final int RT_SCOPE_HOST = 254;
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

    /**
     * A route to one prefix in one table ({@code rtmsg} and its attributes, linux/rtnetlink.h).
     *
     * @param protocol {@code rtm_protocol}: who installed it (values from RTPROT_STATIC up are the installers' own)
     * @param type     RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE...
     * @param ifindex  the output interface, 0 for none
     */
    public record Route(IpPrefix destination, int table, int protocol, int type, int scope, int ifindex) {
        public Route {
            java.util.Objects.requireNonNull(destination, "destination");
            if (table <= 0 || table == RT_TABLE_COMPAT) {
                throw new IllegalArgumentException("table: " + table + " (expected 1-251 or 253-2^32-1)");
            }
            if (protocol < 0 || protocol > 255) {
                throw new IllegalArgumentException("protocol: " + protocol + " (expected 0-255)");
            }
        }

        @Override
        public String toString() {
            String t = switch (type) {
                case RTN_LOCAL -> "local ";
                case RTN_BLACKHOLE -> "blackhole ";
                case RTN_UNICAST -> "";
                default -> "type " + type + " ";
            };
            return t + destination + (ifindex == 0 ? "" : " dev #" + ifindex) + " table " + table + " proto " + protocol;
        }
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

    /** Every route of {@code family} in {@code table} (the kernel dumps every table; the others are left out here). */
    public List<Route> routes(IpFamily family, int table) throws NativeException {
        List<Route> out = new ArrayList<>();
        NlBuilder r = NlBuilder.request(RTM_GETROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP)
                .raw(rtmsg(family, 0, 0, 0, 0, 0));
        for (NlMessage m : channel.dump(r, "RTM_GETROUTE dump")) {
            if (m.type() == RTM_NEWROUTE) {
                Route route = parseRoute(m);
                if (route != null && route.table() == table) {
                    out.add(route);
                }
            }
        }
        return out;
    }

    /** Adds {@code route}; EEXIST if a route to the same prefix is in that table already. */
    public void addRoute(Route route) throws NativeException {
        channel.call(routeRequest(RTM_NEWROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE
                | Netlink.NLM_F_EXCL, route), new LazyText("RTM_NEWROUTE ", route));
    }

    /** Deletes {@code route} (matched on prefix, table, protocol and type); ESRCH if there is no such route. */
    public void deleteRoute(Route route) throws NativeException {
        channel.call(routeRequest(RTM_DELROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, route),
                new LazyText("RTM_DELROUTE ", route));
    }

    /** The request that adds or deletes {@code route}. */
    public static NlBuilder routeRequest(int type, int flags, Route route) {
        int table = route.table() < 256 ? route.table() : RT_TABLE_COMPAT;
        NlBuilder r = NlBuilder.request(type, flags)
                .raw(rtmsg(route.destination().family(), route.destination().prefixLength(), table, route.protocol(),
                        route.scope(), route.type()))
                .address(RTA_DST, route.destination().address())
                .u32(RTA_TABLE, route.table());
        if (route.ifindex() != 0) {
            r.u32(RTA_OIF, route.ifindex());
        }
        return r;
    }

    /** An RTM_NEWROUTE message, or null for a family other than IPv4 and IPv6 (or a route without a table). */
    public static Route parseRoute(NlMessage m) {
        ByteBuffer p = m.payload();
        if (p.remaining() < 12) {
            throw new NetlinkProtocolException("rtmsg: " + p.remaining() + " bytes (expected 12)");
        }
        int af = p.get(0) & 0xff;
        if (af != LinuxNative.AF_INET && af != LinuxNative.AF_INET6) {
            return null;
        }
        int len = af == LinuxNative.AF_INET ? 4 : 16;
        int dstLen = p.get(1) & 0xff;
        if (dstLen > len * 8) {
            throw new NetlinkProtocolException("rtmsg: destination length " + dstLen + " (expected 0-" + len * 8 + ")");
        }
        int table = p.get(4) & 0xff;
        int protocol = p.get(5) & 0xff;
        int scope = p.get(6) & 0xff;
        int type = p.get(7) & 0xff;
        NlAttrs a = NlAttrs.parse(p.duplicate().position(12));
        table = (int) a.u32(RTA_TABLE, table);
        if (table == 0 || table == RT_TABLE_COMPAT) {
            return null;
        }
        InetAddress dst = a.has(RTA_DST) ? a.address(RTA_DST, len) : null;
        if (dst == null) {
            dst = IpAddresses.parse(af == LinuxNative.AF_INET ? "0.0.0.0" : "::");
        }
        return new Route(new IpPrefix(dst, dstLen), table, protocol, type, scope, (int) a.u32(RTA_OIF, 0));
    }

    static byte[] rtmsg(IpFamily family, int dstLen, int table, int protocol, int scope, int type) {
        int af = family == IpFamily.IPV4 ? LinuxNative.AF_INET : family == IpFamily.IPV6 ? LinuxNative.AF_INET6 : 0;
        return ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).put((byte) af).put((byte) dstLen).put((byte) 0)
                .put((byte) 0).put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type).putInt(0)
                .array();
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
