package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.testkit.Fuzz;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Netlink decoding against {@link Fuzz#TRIES} generated inputs per property. Datagrams of generic-netlink messages
 * with attributes of every kind (repeated types, flag bits in the type, nests three deep) built by {@link NlBuilder}
 * parse back to their headers and attributes; RTM_NEWADDR and RTM_NEWLINK messages, as lvsd sends them and as the
 * kernel does, parse back to their address or link, and a parsed address request re-encodes to its bytes; any
 * datagram (noise, or all of these, acks and errors with a few edits) gives messages, attributes, links and
 * addresses, or a {@link NetlinkProtocolException} naming the field, never another exception, within the allocation
 * bound.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a walk that stops advancing fails, not hangs
class NetlinkPropertyTest {
    static final ByteOrder HOST = ByteOrder.nativeOrder();

    enum Kind { U8, U16, BE16, U32, BE32, U64, STRING, BYTES, ADDRESS4, ADDRESS6, NEST }

    /** One generated attribute: its type as written (flag bits included), a value of its kind, or attributes. */
    record Attr(int type, Kind kind, long number, String text, byte[] bytes, List<Attr> inside) {
        int id() {
            return type & Netlink.NLA_TYPE_MASK;
        }

        @Override
        public String toString() {
            String v = switch (kind) {
                case STRING -> '"' + text + '"';
                case BYTES, ADDRESS4, ADDRESS6 -> java.util.HexFormat.of().formatHex(bytes);
                case NEST -> inside.toString();
                default -> Long.toString(number);
            };
            return type + ":" + kind + "=" + v;
        }
    }

    /** Text with characters of one, two and three UTF-8 bytes. */
    static final char[] TEXT = "abcxyzABC019 -_:./éßλ€".toCharArray();

    static List<Attr> attrs(Random r, int depth) {
        List<Attr> out = new ArrayList<>();
        for (int n = r.intRange(0, depth == 0 ? 8 : 4); n > 0; n--) {
            Kind kind = Kind.values()[r.intRange(0, depth < 2 ? Kind.NEST.ordinal() : Kind.NEST.ordinal() - 1)];
            // Few types, so that some repeat; now and then a large one.
            int type = r.intRange(0, 9) == 0 ? r.intRange(0, Netlink.NLA_TYPE_MASK) : r.intRange(0, 12);
            // The kernel marks nests NLA_F_NESTED and some network-order values NLA_F_NET_BYTEORDER; a reader masks
            // both off (uapi/linux/netlink.h, NLA_TYPE_MASK).
            if (kind == Kind.NEST && r.trueOrFalse()) {
                type |= Netlink.NLA_F_NESTED;
            }
            if ((kind == Kind.BE16 || kind == Kind.BE32) && r.trueOrFalse()) {
                type |= Netlink.NLA_F_NET_BYTEORDER;
            }
            long number = switch (kind) {
                case U8 -> r.intRange(0, 0xff);
                case U16, BE16 -> r.intRange(0, 0xffff);
                case U32, BE32 -> r.longRange(0, 0xffffffffL);
                default -> r.longRange(Long.MIN_VALUE, Long.MAX_VALUE);
            };
            byte[] bytes = switch (kind) {
                case ADDRESS4 -> random(r, 4);
                case ADDRESS6 -> random(r, 16);
                default -> random(r, r.intRange(0, 40));
            };
            out.add(new Attr(type, kind, number, r.stringOf(r.intRange(0, 20), TEXT), bytes,
                    kind == Kind.NEST ? attrs(r, depth + 1) : List.of()));
        }
        return out;
    }

    static byte[] random(Random r, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < b.length; i++) {
            b[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        return b;
    }

    static InetAddress addr(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static void put(NlBuilder b, Attr a) {
        int t = a.type();
        switch (a.kind()) {
            case U8 -> b.u8(t, (int) a.number());
            case U16 -> b.u16(t, (int) a.number());
            case BE16 -> b.be16(t, (int) a.number());
            case U32 -> b.u32(t, a.number());
            case BE32 -> b.be32(t, a.number());
            case U64 -> b.u64(t, a.number());
            case STRING -> b.string(t, a.text());
            case BYTES -> b.bytes(t, a.bytes());
            case ADDRESS4, ADDRESS6 -> b.address(t, addr(a.bytes()));
            case NEST -> {
                b.nest(t);
                a.inside().forEach(x -> put(b, x));
                b.end();
            }
        }
    }

    /**
     * The payload {@code a} should have, laid out from uapi/linux/netlink.h rather than by {@link NlBuilder}: host
     * order but for the network-order kinds, strings NUL-terminated, a nest's attributes each padded to 4 bytes.
     */
    static byte[] payload(Attr a) {
        return switch (a.kind()) {
            case U8 -> new byte[] {(byte) a.number()};
            case U16 -> ByteBuffer.allocate(2).order(HOST).putShort((short) a.number()).array();
            case BE16 -> ByteBuffer.allocate(2).order(ByteOrder.BIG_ENDIAN).putShort((short) a.number()).array();
            case U32 -> ByteBuffer.allocate(4).order(HOST).putInt((int) a.number()).array();
            case BE32 -> ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt((int) a.number()).array();
            case U64 -> ByteBuffer.allocate(8).order(HOST).putLong(a.number()).array();
            case STRING -> (a.text() + "\0").getBytes(StandardCharsets.UTF_8);
            case BYTES, ADDRESS4, ADDRESS6 -> a.bytes();
            case NEST -> {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                for (Attr x : a.inside()) {
                    byte[] p = payload(x);
                    int len = Netlink.NLA_HDRLEN + p.length;
                    out.writeBytes(ByteBuffer.allocate(4).order(HOST).putShort((short) len).putShort((short) x.type())
                            .array());
                    out.writeBytes(p);
                    out.writeBytes(new byte[Netlink.align(len) - len]);
                }
                yield out.toByteArray();
            }
        };
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** {@code got} holds exactly {@code want}: each type's occurrences in order, the last read by its typed getter. */
    static void check(NlAttrs got, List<Attr> want) {
        Map<Integer, List<Attr>> byType = new LinkedHashMap<>();
        want.forEach(a -> byType.computeIfAbsent(a.id(), k -> new ArrayList<>()).add(a));
        for (int t = 0; t <= 12; t++) {
            assertThat(got.has(t)).as("has(%d)", t).isEqualTo(byType.containsKey(t));
        }
        byType.forEach((t, as) -> {
            List<ByteBuffer> all = got.all(t);
            assertThat(all).as("all(%d)", t).hasSize(as.size());
            for (int i = 0; i < as.size(); i++) {
                assertThat(bytes(all.get(i))).as("payload %d of type %d", i, t).containsExactly(payload(as.get(i)));
                if (as.get(i).kind() == Kind.NEST) {
                    check(NlAttrs.parse(all.get(i)), as.get(i).inside());
                }
            }
            checkLast(got, as.get(as.size() - 1));
        });
    }

    static void checkLast(NlAttrs got, Attr a) {
        int t = a.id();
        switch (a.kind()) {
            case U8 -> assertThat(got.u8(t, -1)).isEqualTo((int) a.number());
            case U16 -> assertThat(got.u16(t, -1)).isEqualTo((int) a.number());
            case BE16 -> assertThat(got.be16(t, -1)).isEqualTo((int) a.number());
            case U32 -> assertThat(got.u32(t, -1)).isEqualTo(a.number());
            case BE32 -> assertThat(got.be32(t, -1)).isEqualTo(a.number());
            case U64 -> assertThat(got.u64(t, -1)).isEqualTo(a.number());
            case STRING -> assertThat(got.string(t)).isEqualTo(a.text());
            case BYTES -> assertThat(bytes(got.get(t))).containsExactly(a.bytes());
            case ADDRESS4 -> assertThat(got.address(t, 4)).isEqualTo(addr(a.bytes()));
            case ADDRESS6 -> assertThat(got.address(t, 16)).isEqualTo(addr(a.bytes()));
            case NEST -> check(got.nested(t), a.inside());
        }
    }

    /** One generic-netlink message. */
    record Msg(int type, int flags, int cmd, int version, int seq, int portId, List<Attr> attrs) {
        byte[] encode() {
            NlBuilder b = NlBuilder.request(type, flags).genl(cmd, version);
            attrs.forEach(a -> put(b, a));
            return b.build(seq, portId);
        }
    }

    /** 1 to 3 messages, and what follows them in the receive buffer (not part of the datagram). */
    record Datagram(List<Msg> messages, byte[] bytes, int length) {
        @Override
        public String toString() {
            return messages + " in " + length + " of " + java.util.HexFormat.of().formatHex(bytes);
        }
    }

    static final Generator<Msg> MESSAGES = r -> new Msg(r.intRange(0, 0xffff), r.intRange(0, 0xffff),
            r.intRange(0, 255), r.intRange(0, 255), r.intRange(Integer.MIN_VALUE, Integer.MAX_VALUE),
            r.intRange(Integer.MIN_VALUE, Integer.MAX_VALUE), attrs(r, 0));

    static final Generator<Datagram> DATAGRAMS = r -> {
        List<Msg> ms = new ArrayList<>();
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int n = r.intRange(1, 3); n > 0; n--) {
            Msg m = MESSAGES.generate(r);
            ms.add(m);
            b.writeBytes(m.encode()); // each message is a multiple of 4 bytes: the next starts at NLMSG_ALIGN
        }
        int length = b.size();
        b.writeBytes(random(r, r.intRange(0, 24)));
        return new Datagram(ms, b.toByteArray(), length);
    };

    @Test
    void builtDatagramsParseBackToTheirMessagesAndAttributes() {
        Fuzz.forAll(DATAGRAMS, d -> {
            List<NlMessage> all = NlMessage.parseAll(d.bytes(), d.length());
            assertThat(all).hasSize(d.messages().size());
            for (int i = 0; i < all.size(); i++) {
                NlMessage m = all.get(i);
                Msg want = d.messages().get(i);
                assertThat(m.type()).isEqualTo(want.type());
                assertThat(m.flags()).isEqualTo(want.flags() | Netlink.NLM_F_REQUEST);
                assertThat(m.seq()).isEqualTo(want.seq());
                assertThat(m.portId()).isEqualTo(want.portId());
                assertThat(m.genlCommand()).isEqualTo(want.cmd());
                assertThat(m.payload().get(1) & 0xff).as("genl version").isEqualTo(want.version());
                check(m.genlAttrs(), want.attrs());
            }
        });
    }

    // rtnetlink: RTM_NEWADDR and RTM_NEWLINK, as lvsd sends them and as the kernel does.

    static final int IFA_BROADCAST = 4;
    static final int IFA_CACHEINFO = 6;
    static final int IFA_RT_PRIORITY = 9;
    static final int IFLA_BROADCAST = 2;
    static final int IFLA_MTU = 4;
    static final int IFLA_TXQLEN = 13;
    static final int IFLA_OPERSTATE = 16;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_AF_SPEC = 26;

    /** An address message and the address it carries; {@code request}: built by lvsd's own request builder. */
    record AddressCase(byte[] bytes, Rtnetlink.Address want, boolean request) {
        @Override
        public String toString() {
            return want + (request ? " requested" : " from the kernel") + " in "
                    + java.util.HexFormat.of().formatHex(bytes);
        }
    }

    static IpPrefix prefix(Random r, boolean v4) {
        byte[] a = random(r, v4 ? 4 : 16);
        if (!v4 && r.trueOrFalse()) {
            a[0] = (byte) 0xfe; // link-local, which the request gives RT_SCOPE_LINK
            a[1] = (byte) 0x80;
        }
        return new IpPrefix(addr(a), r.intRange(0, v4 ? 32 : 128));
    }

    static final Generator<AddressCase> ADDRESSES = r -> {
        boolean v4 = r.trueOrFalse();
        IpPrefix p = prefix(r, v4);
        int ifindex = r.intRange(1, Integer.MAX_VALUE);
        String label = r.trueOrFalse() ? null : r.alphanumeric(r.intRange(1, 15));
        int seq = r.intRange(Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (r.trueOrFalse()) {
            int scope = p.address().isLinkLocalAddress() ? Rtnetlink.RT_SCOPE_LINK : Rtnetlink.RT_SCOPE_UNIVERSE;
            return new AddressCase(Rtnetlink.addAddressRequest(ifindex, p, label).build(seq, 0),
                    new Rtnetlink.Address(ifindex, p, v4 ? 0 : Rtnetlink.IFA_F_NODAD, scope, v4 ? label : null), true);
        }
        // The kernel's reply or notification, in inet_fill_ifaddr's / inet6_fill_ifaddr's order: IFA_LOCAL is the
        // interface's own address and IFA_ADDRESS the peer's (the same but on point-to-point links); IPv6 may have
        // IFA_ADDRESS only. IFA_FLAGS carries all 32 flag bits, which win over ifa_flags' 8.
        int ifaFlags = r.intRange(0, 255);
        int scope = r.oneOf(0, 200, 253, 254);
        NlBuilder b = NlBuilder.request(r.oneOf(Rtnetlink.RTM_NEWADDR, Rtnetlink.RTM_DELADDR), 0)
                .raw(Rtnetlink.ifaddrmsg(p.family(), p.prefixLength(), ifaFlags, scope, ifindex));
        boolean local = v4 || r.trueOrFalse();
        if (local) {
            b.address(Rtnetlink.IFA_ADDRESS, r.trueOrFalse() ? p.address() : prefix(r, v4).address());
            b.address(Rtnetlink.IFA_LOCAL, p.address());
        } else {
            b.address(Rtnetlink.IFA_ADDRESS, p.address());
        }
        if (v4 && r.trueOrFalse()) {
            b.address(IFA_BROADCAST, prefix(r, true).address());
        }
        if (label != null) {
            b.string(Rtnetlink.IFA_LABEL, label); // the kernel sends labels for IPv4 only; IPv6's is ignored
        }
        b.bytes(IFA_CACHEINFO, random(r, 16));
        Long flags = r.trueOrFalse() ? r.longRange(0, 0xffffffffL) : null;
        if (flags != null) {
            b.u32(Rtnetlink.IFA_FLAGS, flags);
        }
        if (r.trueOrFalse()) {
            b.u32(IFA_RT_PRIORITY, r.longRange(0, 0xffffffffL));
        }
        byte[] bytes = kernel(b.build(seq, 0), r);
        return new AddressCase(bytes, new Rtnetlink.Address(ifindex, p, flags == null ? ifaFlags : (int) (long) flags,
                scope, v4 ? label : null), false);
    };

    /** {@code request} as the kernel sends it: not NLM_F_REQUEST, but part of a dump or a notification. */
    static byte[] kernel(byte[] request, Random r) {
        ByteBuffer.wrap(request).order(HOST).putShort(6, (short) (r.trueOrFalse() ? Netlink.NLM_F_MULTI : 0));
        return request;
    }

    @Test
    void addressMessagesParseBackToTheirAddressAndRequestsReEncodeToTheirBytes() {
        Fuzz.forAll(ADDRESSES, c -> {
            NlMessage m = NlMessage.parseAll(c.bytes(), c.bytes().length).get(0);
            Rtnetlink.Address got = Rtnetlink.parseAddress(m);
            assertThat(got).isEqualTo(c.want());
            if (c.request()) {
                assertThat(Rtnetlink.addAddressRequest(got.ifindex(), got.prefix(), got.label())
                        .build(m.seq(), m.portId())).containsExactly(c.bytes());
            }
        });
    }

    /** A link message and the link it carries. */
    record LinkCase(byte[] bytes, Rtnetlink.Link want) {
        @Override
        public String toString() {
            return want + " " + want.flags() + " in " + java.util.HexFormat.of().formatHex(bytes);
        }
    }

    /**
     * {@code struct ifinfomsg} (uapi/linux/rtnetlink.h): family, pad, ARPHRD type, index, flags, change.
     */
    static byte[] ifinfomsg(int type, int index, int flags, int change) {
        return ByteBuffer.allocate(16).order(HOST).put((byte) 0).put((byte) 0).putShort((short) type).putInt(index)
                .putInt(flags).putInt(change).array();
    }

    static final Generator<LinkCase> LINKS = r -> {
        int index = r.intRange(1, Integer.MAX_VALUE);
        int flags = r.intRange(Integer.MIN_VALUE, Integer.MAX_VALUE);
        String name = r.trueOrFalse(0.9) ? r.stringOf(r.intRange(1, 15), TEXT) : null;
        byte[] mac = r.trueOrFalse(0.8) ? random(r, r.oneOf(0, 6, 6, 8, 20, 32)) : null;
        // What rtnl_fill_ifinfo sends besides the name and address, in an order the parser must not depend on.
        List<Consumer<NlBuilder>> parts = new ArrayList<>();
        if (name != null) {
            parts.add(b -> b.string(Rtnetlink.IFLA_IFNAME, name));
        }
        if (mac != null) {
            parts.add(b -> b.bytes(Rtnetlink.IFLA_ADDRESS, mac));
            parts.add(b -> b.bytes(IFLA_BROADCAST, random(r, mac.length)));
        }
        parts.add(b -> b.u32(IFLA_MTU, r.longRange(0, 0xffffffffL)));
        parts.add(b -> b.u32(IFLA_TXQLEN, r.longRange(0, 0xffffffffL)));
        parts.add(b -> b.u8(IFLA_OPERSTATE, r.intRange(0, 6)));
        parts.add(b -> b.nest(IFLA_LINKINFO | Netlink.NLA_F_NESTED).string(1, r.oneOf("vlan", "dummy", "veth"))
                .nest(2).u16(1, r.intRange(0, 4095)).end().end());
        parts.add(b -> b.nest(IFLA_AF_SPEC).nest(LinuxNative.AF_INET).bytes(1, random(r, r.intRange(0, 64))).end()
                .end());
        for (int i = parts.size() - 1; i > 0; i--) {
            int j = r.intRange(0, i);
            parts.set(i, parts.set(j, parts.get(i)));
        }
        NlBuilder b = NlBuilder.request(r.oneOf(Rtnetlink.RTM_NEWLINK, Rtnetlink.RTM_DELLINK), 0)
                .raw(ifinfomsg(r.oneOf(1, 772), index, flags, r.oneOf(0, -1)));
        parts.forEach(p -> p.accept(b));
        return new LinkCase(kernel(b.build(r.intRange(0, Integer.MAX_VALUE), 0), r),
                new Rtnetlink.Link(index, name, flags, mac));
    };

    @Test
    void linkMessagesParseBackToTheirLink() {
        Fuzz.forAll(LINKS, c -> {
            Rtnetlink.Link got = Rtnetlink.parseLink(NlMessage.parseAll(c.bytes(), c.bytes().length).get(0));
            assertThat(got.index()).isEqualTo(c.want().index());
            assertThat(got.name()).isEqualTo(c.want().name());
            assertThat(got.flags()).isEqualTo(c.want().flags());
            assertThat(got.mac()).isEqualTo(c.want().mac());
        });
    }

    // Any datagram.

    /**
     * NLMSG_ERROR: {@code struct nlmsgerr} (the error, then the echoed request, or only its header when capped), then
     * the extended-ack TLVs when {@code text} is not null.
     */
    static byte[] error(int errno, byte[] request, boolean capped, String text) {
        int echoed = capped ? Netlink.NLMSG_HDRLEN : request.length;
        byte[] tlvs = new byte[0];
        if (text != null) {
            byte[] t = NlBuilder.request(0, 0).string(Netlink.NLMSGERR_ATTR_MSG, text)
                    .u32(Netlink.NLMSGERR_ATTR_OFFS, 20).build(0, 0);
            tlvs = Arrays.copyOfRange(t, Netlink.NLMSG_HDRLEN, t.length);
        }
        int flags = (capped ? Netlink.NLM_F_CAPPED : 0) | (text != null ? Netlink.NLM_F_ACK_TLVS : 0);
        ByteBuffer b = ByteBuffer.allocate(Netlink.NLMSG_HDRLEN + 4 + echoed + tlvs.length).order(HOST);
        b.putInt(b.capacity()).putShort((short) Netlink.NLMSG_ERROR).putShort((short) flags).putInt(9).putInt(0)
                .putInt(-errno).put(request, 0, echoed).put(tlvs);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        Arrays.stream(parts).forEach(b::put);
        return b.array();
    }

    /**
     * What mutations start from: generic-netlink datagrams; RtnetlinkTest's address requests; the kernel's address
     * and link messages, a link dump ending in NLMSG_DONE; a bare header (NLMSG_NOOP); an ack, and errors with
     * extended acks, capped or not.
     */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Fuzz.forAll(8, DATAGRAMS, d -> seeds.add(Arrays.copyOf(d.bytes(), d.length())));
        byte[] request = Rtnetlink.addAddressRequest(4, IpPrefix.parse("10.96.0.100/24"), "eth0:vrrp51").build(1, 0);
        seeds.add(request);
        seeds.add(Rtnetlink.addAddressRequest(4, IpPrefix.parse("fd00:96::100/64"), "eth0:vrrp51").build(2, 0));
        Fuzz.forAll(8, ADDRESSES, c -> seeds.add(c.bytes()));
        List<byte[]> links = new ArrayList<>();
        Fuzz.forAll(8, LINKS, c -> links.add(c.bytes()));
        seeds.addAll(links);
        byte[] done = ByteBuffer.allocate(20).order(HOST).putInt(20).putShort((short) Netlink.NLMSG_DONE)
                .putShort((short) Netlink.NLM_F_MULTI).putInt(3).putInt(0).putInt(0).array();
        seeds.add(concat(links.get(0), links.get(1), done));
        seeds.add(ByteBuffer.allocate(16).order(HOST).putInt(16).putShort((short) Netlink.NLMSG_NOOP).array());
        seeds.add(error(0, request, true, null));
        seeds.add(error(17, request, true, "Address already assigned"));
        seeds.add(error(22, request, false, "prefix length out of range"));
        return seeds;
    }

    /** The field an error names: a header or an attribute ({@code "attribute type 3 at offset 8: length 99 ..."}). */
    static final Pattern NAMES_THE_FIELD = Pattern.compile(
            "(nlmsghdr|nlmsgerr|genlmsghdr|ifinfomsg|ifaddrmsg|attribute type \\d+)[ :].*", Pattern.DOTALL);

    interface Read {
        Object read();
    }

    /** Runs {@code r}: a value or a NetlinkProtocolException naming the field; any other exception fails. */
    static void typed(Read r) {
        try {
            r.read();
        } catch (NetlinkProtocolException e) {
            assertThat(e.getMessage()).as("the error names the field").matches(NAMES_THE_FIELD);
        }
    }

    /** The types of the attributes in {@code region} as far as their lengths can be followed, and a few absent. */
    static Set<Integer> types(ByteBuffer region) {
        Set<Integer> out = new LinkedHashSet<>(List.of(0, 1, 2, 3, Netlink.NLA_TYPE_MASK));
        ByteBuffer b = region.slice().order(HOST);
        for (int at = 0; at + Netlink.NLA_HDRLEN <= b.limit(); ) {
            int len = Short.toUnsignedInt(b.getShort(at));
            out.add(Short.toUnsignedInt(b.getShort(at + 2)) & Netlink.NLA_TYPE_MASK);
            if (len < Netlink.NLA_HDRLEN) {
                break;
            }
            at += Netlink.align(len);
        }
        return out;
    }

    /** Every getter on every type in {@code region}, nests {@code depth} more levels down. */
    static NlAttrs readAttrs(ByteBuffer region, int depth) {
        NlAttrs a = NlAttrs.parse(region);
        for (int t : types(region)) {
            typed(() -> a.has(t));
            typed(() -> a.all(t));
            typed(() -> a.u8(t, 0));
            typed(() -> a.u16(t, 0));
            typed(() -> a.be16(t, 0));
            typed(() -> a.u32(t, 0));
            typed(() -> a.be32(t, 0));
            typed(() -> a.u64(t, 0));
            typed(() -> a.string(t));
            typed(() -> a.address(t, 4));
            typed(() -> a.address(t, 16));
            typed(() -> a.nested(t));
            ByteBuffer inner = a.get(t);
            if (inner != null && depth > 0) {
                typed(() -> readAttrs(inner, depth - 1));
            }
        }
        return a;
    }

    /** Offsets of the attributes after genlmsghdr, ifaddrmsg, ifinfomsg, and an error's capped echoed header. */
    static final int[] REGIONS = {Netlink.GENL_HDRLEN, 8, 16, 4 + Netlink.NLMSG_HDRLEN};

    /** Everything a reader of {@code m} may call, each either answering or throwing the typed error. */
    static void readEverything(NlMessage m) {
        typed(m::genlAttrs);
        typed(m::genlCommand);
        typed(m::error);
        typed(m::extAckMessage);
        typed(() -> Rtnetlink.parseLink(m));
        typed(() -> Rtnetlink.parseAddress(m));
        for (int offset : REGIONS) {
            if (m.payload().remaining() >= offset) {
                typed(() -> readAttrs(m.payload().duplicate().position(offset), 2));
            }
        }
    }

    /** Each decoder of {@code m} allocates within the bound for the message's length (read once already). */
    static void allocationBounded(NlMessage m) {
        long bound = Fuzz.allocationBound(Netlink.NLMSG_HDRLEN + m.payload().remaining());
        Map<String, Read> decoders = new LinkedHashMap<>();
        decoders.put("genlAttrs", m::genlAttrs);
        decoders.put("genlCommand", m::genlCommand);
        decoders.put("error", m::error);
        decoders.put("extAckMessage", m::extAckMessage);
        decoders.put("parseLink", () -> Rtnetlink.parseLink(m));
        decoders.put("parseAddress", () -> Rtnetlink.parseAddress(m));
        decoders.forEach((name, d) -> {
            long got = Fuzz.allocated(() -> {
                try {
                    d.read();
                } catch (NetlinkProtocolException rejected) {
                    // judged by readEverything
                }
            });
            assertThat(got).as("%s allocated", name).isLessThanOrEqualTo(bound);
        });
    }

    @Test
    void anyDatagramGivesMessagesOrTheTypedErrorWithinTheAllocationBound() {
        Fuzz.forAll(Fuzz.mutated(seeds()), b -> {
            Fuzz.allocationBounded(b, x -> NlMessage.parseAll(x, x.length));
            List<NlMessage> all;
            try {
                all = NlMessage.parseAll(b, b.length);
            } catch (NetlinkProtocolException e) {
                assertThat(e.getMessage()).matches(NAMES_THE_FIELD);
                return;
            }
            for (NlMessage m : all) {
                readEverything(m);
                allocationBounded(m);
            }
        });
    }
}
