package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpPrefix;
import io.lvsd.testkit.Fuzz;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * Netlink decoding against {@link Fuzz#TRIES} generated inputs per property: messages with random attributes (nested
 * too) built by {@link NlBuilder} parse back to the same attributes; any datagram (noise, or generic-netlink and
 * rtnetlink messages with a few edits) gives messages and attributes, links and addresses, or a
 * {@link NetlinkProtocolException} naming what was wrong, never another exception, within the allocation bound.
 */
class NetlinkPropertyTest {
    /** One generated attribute: its type, and a value of one of the builder's kinds. */
    record Attr(int type, int kind, long number, String text, byte[] bytes) {
    }

    static final Generator<List<Attr>> ATTRS = r -> {
        List<Attr> out = new ArrayList<>();
        for (int n = r.intRange(0, 12); n > 0; n--) {
            byte[] b = new byte[r.intRange(0, 40)];
            for (int i = 0; i < b.length; i++) {
                b[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
            }
            out.add(new Attr(r.intRange(1, 200), r.intRange(0, 5), r.longRange(0, 0xffffffffL),
                    r.alphanumeric(r.intRange(0, 20)), b));
        }
        return out;
    };

    static void put(NlBuilder b, Attr a) {
        switch (a.kind()) {
            case 0 -> b.u8(a.type(), (int) (a.number() & 0xff));
            case 1 -> b.u16(a.type(), (int) (a.number() & 0xffff));
            case 2 -> b.u32(a.type(), a.number());
            case 3 -> b.u64(a.type(), a.number() * 31);
            case 4 -> b.string(a.type(), a.text());
            default -> b.bytes(a.type(), a.bytes());
        }
    }

    static void check(NlAttrs got, Attr a) {
        switch (a.kind()) {
            case 0 -> assertThat(got.u8(a.type(), -1)).isEqualTo((int) (a.number() & 0xff));
            case 1 -> assertThat(got.u16(a.type(), -1)).isEqualTo((int) (a.number() & 0xffff));
            case 2 -> assertThat(got.u32(a.type(), -1)).isEqualTo(a.number());
            case 3 -> assertThat(got.u64(a.type(), -1)).isEqualTo(a.number() * 31);
            case 4 -> assertThat(got.string(a.type())).isEqualTo(a.text());
            default -> {
                ByteBuffer v = got.get(a.type());
                byte[] b = new byte[v.remaining()];
                v.get(b);
                assertThat(b).containsExactly(a.bytes());
            }
        }
    }

    /** A generic-netlink message: top-level attributes, then a nest of more. */
    record Built(List<Attr> top, List<Attr> nested, byte[] bytes) {
    }

    static final Generator<Built> MESSAGES = r -> {
        List<Attr> top = dedup(ATTRS.generate(r), 0);
        List<Attr> nested = dedup(ATTRS.generate(r), 0);
        NlBuilder b = NlBuilder.request(r.intRange(16, 0xffff), r.intRange(0, 0xffff)).genl(r.intRange(0, 255), 1);
        top.forEach(a -> put(b, a));
        b.nest(250);
        nested.forEach(a -> put(b, a));
        b.end();
        return new Built(top, nested, b.build(r.intRange(0, Integer.MAX_VALUE), 0));
    };

    /** The last attribute of each type is the one read back ({@link NlAttrs#get}); keep one per type. */
    static List<Attr> dedup(List<Attr> in, int reserved) {
        java.util.Map<Integer, Attr> last = new java.util.LinkedHashMap<>();
        in.stream().filter(a -> a.type() != 250).forEach(a -> last.put(a.type(), a));
        return new ArrayList<>(last.values());
    }

    @Test
    void builtMessagesParseBackToTheirAttributes() {
        Fuzz.forAll(MESSAGES, m -> {
            List<NlMessage> all = NlMessage.parseAll(m.bytes(), m.bytes().length);
            assertThat(all).hasSize(1);
            NlAttrs top = all.get(0).genlAttrs();
            m.top().forEach(a -> check(top, a));
            NlAttrs nested = top.nested(250);
            m.nested().forEach(a -> check(nested, a));
        });
    }

    /** Generic-netlink messages, RTM_NEWADDR requests (v4 and v6) and RTM_NEWLINK replies: what mutations start from. */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Fuzz.forAll(12, MESSAGES, m -> seeds.add(m.bytes()));
        seeds.add(Rtnetlink.addAddressRequest(4, IpPrefix.parse("10.96.0.100/24"), "eth0:vrrp51").build(1, 0));
        seeds.add(Rtnetlink.addAddressRequest(4, IpPrefix.parse("fd00:96::100/64"), "eth0:vrrp51").build(2, 0));
        seeds.add(NlBuilder.request(Rtnetlink.RTM_NEWLINK, 0).raw(Rtnetlink.ifinfomsg(3)).string(Rtnetlink.IFLA_IFNAME,
                "eth0").bytes(Rtnetlink.IFLA_ADDRESS, new byte[] {2, 0, 0, 0, 0, 1}).build(3, 0));
        return seeds;
    }

    /** Everything a reader of {@code m} may call, each either answering or throwing the typed error. */
    static void readEverything(NlMessage m) {
        typed(() -> m.genlAttrs());
        typed(() -> m.extAckMessage());
        if (m.payload().remaining() >= 4) {
            m.error();
        }
        typed(() -> Rtnetlink.parseLink(m));
        typed(() -> Rtnetlink.parseAddress(m));
        typed(() -> {
            NlAttrs a = m.genlAttrs();
            for (int t = 0; t < 256; t++) {
                final int type = t;
                typed(() -> a.u8(type, 0));
                typed(() -> a.u16(type, 0));
                typed(() -> a.be16(type, 0));
                typed(() -> a.u32(type, 0));
                typed(() -> a.be32(type, 0));
                typed(() -> a.u64(type, 0));
                typed(() -> a.string(type));
                typed(() -> a.address(type, 4));
                typed(() -> a.address(type, 16));
                typed(() -> a.nested(type));
            }
            return a;
        });
    }

    interface Read {
        Object read();
    }

    /** Runs {@code r}: a value or a NetlinkProtocolException with a message; any other exception fails. */
    static void typed(Read r) {
        try {
            r.read();
        } catch (NetlinkProtocolException e) {
            assertThat(e.getMessage()).as("the error names what was wrong").isNotBlank();
        }
    }

    @Test
    void anyDatagramGivesMessagesOrTheTypedErrorWithinTheAllocationBound() {
        Fuzz.forAll(Fuzz.mutated(seeds()), b -> {
            List<NlMessage> all;
            try {
                all = NlMessage.parseAll(b, b.length);
            } catch (NetlinkProtocolException e) {
                assertThat(e.getMessage()).isNotBlank();
                return;
            }
            for (NlMessage m : all) {
                readEverything(m);
            }
            Fuzz.allocationBounded(b, x -> NlMessage.parseAll(x, x.length));
        });
    }
}
