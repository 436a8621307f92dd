package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.testkit.Fuzz;
import io.lvsd.testkit.Pcap;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The sync protocol's decoder against {@link Fuzz#TRIES} generated inputs per property: generated version 1
 * messages (IPv4 and IPv6 entries, sequence data, persistence-engine data and name) re-encode to the same bytes
 * after a decode; any datagram (noise, or the kernel's captured messages, lvsd's encodings and catch-ups with a few
 * edits) gives a message, a catch-up or a typed error with its detail, never an exception, within the allocation
 * bound.
 */
class SyncCodecPropertyTest {
    static InetAddress address(Random r, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static long u32(Random r) {
        return r.longRange(0, 0xffffffffL);
    }

    static final Generator<SyncConnection> CONNECTIONS = r -> {
        boolean v6 = r.trueOrFalse();
        SyncConnection.SeqData seq = r.intRange(0, 3) == 0
                ? new SyncConnection.SeqData(u32(r), u32(r), u32(r), u32(r), u32(r), u32(r)) : null;
        byte[] pe = null;
        String peName = null;
        if (r.intRange(0, 4) == 0) {
            pe = new byte[r.intRange(1, 255)];
            for (int i = 0; i < pe.length; i++) {
                pe[i] = r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
            }
            peName = r.lowerCaseAlphabetic(r.intRange(1, 15));
        }
        return new SyncConnection(v6 ? IpFamily.IPV6 : IpFamily.IPV4, r.oneOf(6, 17, 132), r.intRange(0, 0xffff),
                r.intRange(0, 0xffff), address(r, v6), r.intRange(0, 65535), address(r, v6), r.intRange(0, 65535),
                address(r, v6), r.intRange(0, 65535), u32(r), u32(r), seq, pe, peName, List.of());
    };

    static final Generator<SyncMessage> MESSAGES = r -> {
        List<SyncConnection> cs = new ArrayList<>();
        for (int n = r.intRange(0, 20); n > 0; n--) {
            cs.add(CONNECTIONS.generate(r));
        }
        return new SyncMessage(1, r.intRange(0, 255), cs);
    };

    @Test
    void decodedMessagesReencodeToTheSameBytes() {
        Fuzz.forAll(MESSAGES, m -> {
            byte[] bytes = SyncCodec.encode(m);
            SyncCodec.Result r = SyncCodec.decode(bytes);
            assertThat(r).isInstanceOf(SyncCodec.Decoded.class);
            SyncMessage back = ((SyncCodec.Decoded) r).message();
            assertThat(back.syncId()).isEqualTo(m.syncId());
            assertThat(back.connections()).hasSameSizeAs(m.connections());
            for (int i = 0; i < m.connections().size(); i++) {
                SyncConnection a = m.connections().get(i);
                SyncConnection b = back.connections().get(i);
                assertThat(List.of(b.family(), b.protocol(), b.flags(), b.state(), b.client(), b.clientPort(),
                        b.virtual(), b.virtualPort(), b.real(), b.realPort(), b.fwmark(), b.timeoutSeconds()))
                        .isEqualTo(List.of(a.family(), a.protocol(), a.flags(), a.state(), a.client(), a.clientPort(),
                                a.virtual(), a.virtualPort(), a.real(), a.realPort(), a.fwmark(), a.timeoutSeconds()));
                assertThat(b.peName()).isEqualTo(a.peName());
                assertThat(b.peData()).isEqualTo(a.peData());
            }
            assertThat(SyncCodec.encode(back)).containsExactly(bytes);
        });
    }

    /** The kernel's captured messages, lvsd's version 0 and 1 encodings and a catch-up: what mutations start from. */
    static List<byte[]> seeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (Pcap.Ip udp : Pcap.ip(SyncCodecPropertyTest.class, "/fixtures/ipvs-sync-v1.pcap", 17)) {
            seeds.add(java.util.Arrays.copyOfRange(udp.payload(), 8, udp.payload().length)); // after the UDP header
        }
        seeds.add(SyncCodec.encode(new SyncMessage(0, 3, List.of(SyncConnection.of(17, SyncConnection.F_TUNNEL, 0,
                InetAddress.getByName("10.1.0.7"), 5353, InetAddress.getByName("10.1.0.100"), 53,
                InetAddress.getByName("10.1.0.21"), 53, 0)))));
        seeds.add(SyncCodec.encode(new CatchUp(CatchUp.Kind.REQUEST, 7, 0x1234_5678_9abc_def0L, 0)));
        Fuzz.forAll(16, MESSAGES, m -> seeds.add(SyncCodec.encode(m)));
        assertThat(seeds).hasSizeGreaterThan(18);
        return seeds;
    }

    @Test
    void anyDatagramGivesAMessageACatchUpOrATypedErrorWithinTheAllocationBound() throws Exception {
        Fuzz.forAll(Fuzz.mutated(seeds()), b -> {
            SyncCodec.Result r = SyncCodec.decode(b);
            assertThat(r).isNotNull();
            if (r instanceof SyncCodec.Malformed m) {
                assertThat(m.error()).isNotNull();
                assertThat(m.detail()).as("the error names the field").isNotBlank();
            }
            Fuzz.allocationBounded(b, SyncCodec::decode);
        });
    }
}
