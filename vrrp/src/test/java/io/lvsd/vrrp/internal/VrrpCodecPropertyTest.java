package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Fuzz;
import io.lvsd.testkit.Pcap;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The advert decoder against {@link Fuzz#TRIES} generated inputs per property: valid adverts round-trip, and any
 * bytes (noise, or keepalived's captured adverts and generated ones with a few edits) give a packet or a drop
 * reason with its detail, never an exception, within the allocation bound.
 */
class VrrpCodecPropertyTest {
    static final InetAddress SRC4 = addr(new byte[] {10, 99, 0, 11});
    static final InetAddress DST4 = addr(new byte[] {(byte) 224, 0, 0, 18});
    static final InetAddress SRC6 = addr(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11});
    static final InetAddress DST6 = addr(new byte[] {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12});

    /** A valid advert: either version, IPv4 or (version 3) IPv6, 1 to 20 addresses. */
    record Advert(VrrpPacket packet, boolean v6, boolean pseudo) {
        InetAddress src() {
            return v6 ? SRC6 : SRC4;
        }

        InetAddress dst() {
            return v6 ? DST6 : DST4;
        }

        byte[] encode() {
            return VrrpCodec.encode(packet, src(), dst(), pseudo);
        }
    }

    static final Generator<Advert> ADVERTS = random -> {
        int version = random.intRange(2, 3);
        boolean v6 = version == 3 && random.trueOrFalse();
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = random.intRange(1, 20); i > 0; i--) {
            addresses.add(address(random, v6));
        }
        byte[] auth = new byte[8];
        int authType = version == 2 ? random.intRange(0, 2) : 0;
        if (authType == VrrpCodec.AUTH_SIMPLE) {
            auth = VrrpCodec.password(random.alphanumeric(random.intRange(1, 8)));
        }
        VrrpPacket p = new VrrpPacket(version, random.intRange(1, 255), random.intRange(0, 255),
                random.intRange(0, version == 2 ? 255 : 4095), addresses, authType, auth);
        return new Advert(p, v6, random.trueOrFalse());
    };

    static InetAddress address(Random random, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        return addr(a);
    }

    static InetAddress addr(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void validAdvertsRoundTrip() {
        Fuzz.forAll(ADVERTS, a -> {
            byte[] bytes = a.encode();
            VrrpCodec.Result r = VrrpCodec.decode(bytes, a.src(), a.dst(), 255, a.pseudo());
            assertThat(r).isEqualTo(new VrrpCodec.Decoded(a.packet()));
            assertThat(VrrpCodec.encode(((VrrpCodec.Decoded) r).packet(), a.src(), a.dst(), a.pseudo()))
                    .containsExactly(bytes);
        });
    }

    /** keepalived's captured adverts, v2 and v3, IPv4 and IPv6, and generated ones: what the mutations start from. */
    static List<byte[]> seeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (String f : List.of("/fixtures/vrrp2-pass.pcap", "/fixtures/vrrp3.pcap", "/fixtures/vrrp3-ipv6.pcap")) {
            Pcap.ip(VrrpCodecPropertyTest.class, f, VrrpCodec.PROTOCOL).stream().limit(4)
                    .forEach(ip -> seeds.add(ip.payload()));
        }
        assertThat(seeds).as("captured adverts to mutate").isNotEmpty();
        Fuzz.forAll(32, ADVERTS, a -> seeds.add(a.encode()));
        return seeds;
    }

    @Test
    void anyBytesGiveAPacketOrADropReasonWithinTheAllocationBound() throws Exception {
        Generator<byte[]> inputs = Fuzz.mutated(seeds());
        Fuzz.forAll(inputs, bytes -> {
            for (boolean v6 : new boolean[] {false, true}) {
                InetAddress src = v6 ? SRC6 : SRC4;
                InetAddress dst = v6 ? DST6 : DST4;
                VrrpCodec.Result r = VrrpCodec.decode(bytes, src, dst, 255, true);
                if (r instanceof VrrpCodec.Dropped d) {
                    assertThat(d.reason()).isNotNull();
                    assertThat(d.detail()).as("the drop names the field").isNotBlank();
                } else {
                    VrrpPacket p = ((VrrpCodec.Decoded) r).packet();
                    assertThat(p.addresses()).allMatch(x -> (x instanceof Inet6Address) == v6);
                    // Re-encoding what was accepted gives the bytes it was read from (up to the message's length),
                    // but for version 3's reserved bits, which a receiver ignores (RFC 5798 §5.2.5).
                    if (p.version() == 2 || (bytes[4] & 0xf0) == 0) {
                        byte[] again = VrrpCodec.encode(p, src, dst, true);
                        assertThat(java.util.Arrays.copyOf(bytes, again.length)).containsExactly(again);
                    }
                }
                Fuzz.allocationBounded(bytes, b -> VrrpCodec.decode(b, src, dst, 255, true));
            }
        });
    }
}
