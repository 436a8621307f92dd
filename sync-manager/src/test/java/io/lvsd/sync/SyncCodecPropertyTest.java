package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.testkit.Fuzz;
import io.lvsd.testkit.Pcap;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The sync protocol's decoder against {@link Fuzz#TRIES} generated inputs per property: generated version 0 and
 * version 1 messages (IPv4 and IPv6 entries, IPv4-mapped addresses among them, sequence data, persistence-engine
 * data and name) and catch-ups decode to the value encoded and re-encode to the same bytes; any datagram (noise,
 * or the kernel's captured message, lvsd's encodings and catch-ups with a few edits), whole or framed in a larger
 * buffer, gives a message, a catch-up or a typed error whose detail names the field, never an exception, within
 * the allocation bound; and the entry count a header claims sizes no allocation.
 */
class SyncCodecPropertyTest {
    /** An address; a quarter of the IPv6 ones have the shapes that need care: IPv4-mapped, -compatible, zero. */
    static InetAddress address(Random r, boolean v6) {
        byte[] a = bytes(r, v6 ? 16 : 4);
        int shape = v6 ? r.intRange(0, 11) : 3;
        if (shape <= 2) {
            Arrays.fill(a, 0, shape == 2 ? 16 : 12, (byte) 0);
        }
        if (shape == 0) {
            a[10] = (byte) 0xff; // ::ffff:a.b.c.d
            a[11] = (byte) 0xff;
        }
        try {
            // Inet6Address keeps a mapped address IPv6, as the entry's family says; InetAddress would not.
            return v6 ? Inet6Address.getByAddress(null, a, -1) : InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code n} random bytes, drawn four at a time. */
    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i += 4) {
            int w = (int) u32(r);
            for (int k = 0; k < 4 && i + k < n; k++) {
                b[i + k] = (byte) (w >>> 8 * k);
            }
        }
        return b;
    }

    static long u32(Random r) {
        return r.longRange(0, 0xffffffffL);
    }

    static SyncConnection.SeqData seq(Random r) {
        return new SyncConnection.SeqData(u32(r), u32(r), u32(r), u32(r), u32(r), u32(r));
    }

    /** A version 1 entry; {@code options}: whether persistence-engine data may be drawn. */
    static SyncConnection v1Connection(Random r, boolean options) {
        boolean v6 = r.trueOrFalse();
        SyncConnection.SeqData seq = r.intRange(0, 3) == 0 ? seq(r) : null;
        byte[] pe = null;
        String peName = null;
        if (options && r.intRange(0, 4) == 0) {
            pe = bytes(r, r.intRange(1, 255));
            // The kernel sends the name only with the data (ip_vs_sync_conn), and lvsd's encoder likewise.
            peName = r.trueOrFalse() ? r.lowerCaseAlphabetic(r.intRange(1, 16)) : null;
        }
        return new SyncConnection(v6 ? IpFamily.IPV6 : IpFamily.IPV4, r.oneOf(0, 6, 17, 132), r.intRange(
                Integer.MIN_VALUE, Integer.MAX_VALUE), r.intRange(0, 0xffff), address(r, v6), r.intRange(0, 65535),
                address(r, v6), r.intRange(0, 65535), address(r, v6), r.intRange(0, 65535), u32(r), u32(r), seq, pe,
                peName, List.of());
    }

    /** A version 0 entry: IPv4, 16-bit flags, sequence data exactly when a SEQ flag is set, no mark or timeout. */
    static SyncConnection v0Connection(Random r) {
        int flags = r.intRange(0, 0xffff);
        return new SyncConnection(IpFamily.IPV4, r.oneOf(6, 17, 132), flags, r.intRange(0, 0xffff), address(r, false),
                r.intRange(0, 65535), address(r, false), r.intRange(0, 65535), address(r, false), r.intRange(0, 65535),
                0, 0, (flags & SyncConnection.F_SEQ_MASK) != 0 ? seq(r) : null, null, null, List.of());
    }

    /** Version 1: up to 20 entries with any options, or up to the 255 a message can count without the largest. */
    static final Generator<SyncMessage> MESSAGES = r -> {
        List<SyncConnection> cs = new ArrayList<>();
        boolean many = r.intRange(0, 31) == 0;
        for (int n = many ? r.intRange(21, 255) : r.intRange(0, 20); n > 0; n--) {
            cs.add(v1Connection(r, !many));
        }
        return new SyncMessage(1, r.intRange(0, 255), cs);
    };

    static final Generator<SyncMessage> MESSAGES_V0 = r -> {
        List<SyncConnection> cs = new ArrayList<>();
        for (int n = r.intRange(0, 30); n > 0; n--) {
            cs.add(v0Connection(r));
        }
        return new SyncMessage(0, r.intRange(0, 255), cs);
    };

    static final Generator<CatchUp> CATCH_UPS = r -> new CatchUp(r.oneOf(CatchUp.Kind.values()), r.intRange(0, 255),
            (u32(r) << 32) | u32(r), u32(r));

    static byte[] encode(Object valid) {
        return valid instanceof CatchUp c ? SyncCodec.encode(c) : SyncCodec.encode((SyncMessage) valid);
    }

    @Test
    void validMessagesAndCatchUpsDecodeToThemselvesAndReencodeToTheSameBytes() {
        Fuzz.forAll(Fuzz.<Object>oneOf(MESSAGES, MESSAGES, MESSAGES_V0, CATCH_UPS), valid -> {
            byte[] bytes = encode(valid);
            SyncCodec.Result r = SyncCodec.decode(bytes);
            assertThat(r).isEqualTo(valid instanceof CatchUp c ? new SyncCodec.Control(c)
                    : new SyncCodec.Decoded((SyncMessage) valid));
            assertThat(encode(r instanceof SyncCodec.Control c ? c.catchUp() : ((SyncCodec.Decoded) r).message()))
                    .containsExactly(bytes);
        });
    }

    /** The kernel's captured message, lvsd's version 0 and 1 encodings and catch-ups: what mutations start from. */
    static List<byte[]> seeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (Pcap.Ip udp : Pcap.ip(SyncCodecPropertyTest.class, "/fixtures/ipvs-sync-v1.pcap", 17)) {
            seeds.add(Arrays.copyOfRange(udp.payload(), 8, udp.payload().length)); // after the UDP header
        }
        assertThat(seeds).as("the captured kernel message").hasSize(1);
        Fuzz.forAll(8, CATCH_UPS, c -> seeds.add(SyncCodec.encode(c)));
        Fuzz.forAll(8, MESSAGES_V0, m -> seeds.add(SyncCodec.encode(m)));
        Fuzz.forAll(16, MESSAGES, m -> seeds.add(SyncCodec.encode(m)));
        return seeds;
    }

    /**
     * Mutated seeds; half of them with the size field (bytes 2-3, both versions) set to their length, so that the
     * check every edit of the length trips does not stop them before the entries.
     */
    static Generator<byte[]> datagrams() throws Exception {
        Generator<byte[]> mutated = Fuzz.mutated(seeds());
        return r -> {
            byte[] b = mutated.generate(r);
            if (b.length >= 4 && b.length <= 0xffff && r.trueOrFalse()) {
                b[2] = (byte) (b.length >>> 8);
                b[3] = (byte) b.length;
            }
            return b;
        };
    }

    /** What a typed error's detail starts with: the field it is about. */
    static final Pattern FIELD = Pattern.compile("(message|size|entry \\d+|catch-up (version|kind)): .+");

    /** Whether lvsd's encoder can say all {@code m} holds: what a kernel's master sends has this shape. */
    static boolean encodable(SyncMessage m) {
        return m.connections().stream().allMatch(c -> c.unknownOptions().isEmpty()
                && (c.peName() == null || c.peData() != null
                && StandardCharsets.US_ASCII.newEncoder().canEncode(c.peName())));
    }

    @Test
    void anyDatagramGivesAMessageACatchUpOrATypedErrorNamingTheFieldWithinTheAllocationBound() throws Exception {
        Fuzz.forAll(datagrams(), SyncCodecPropertyTest::valueOrTypedError);
    }

    /**
     * One datagram: a message, a catch-up or a typed error naming the field; what was accepted round-trips; framed in a
     * larger buffer it reads the same; the decode allocates within the bound (also SyncCodecFuzzTest's check).
     */
    static void valueOrTypedError(byte[] b) {
        SyncCodec.Result r = SyncCodec.decode(b);
        assertThat(r).isNotNull();
        if (r instanceof SyncCodec.Malformed m) {
            assertThat(m.error()).isNotNull();
            assertThat(m.detail()).as("the error names the field").matches(FIELD);
        } else if (r instanceof SyncCodec.Control c) {
            assertThat(SyncCodec.decode(SyncCodec.encode(c.catchUp()))).isEqualTo(r);
        } else if (encodable(((SyncCodec.Decoded) r).message())) {
            // What was accepted is a value the encoder writes and the decoder reads back unchanged.
            assertThat(SyncCodec.decode(SyncCodec.encode(((SyncCodec.Decoded) r).message()))).isEqualTo(r);
        }
        // A datagram in a larger receive buffer reads as the datagram alone.
        byte[] framed = new byte[b.length + 2 * 7];
        Arrays.fill(framed, (byte) 0x5a);
        System.arraycopy(b, 0, framed, 7, b.length);
        assertThat(SyncCodec.decode(framed, 7, b.length)).isEqualTo(r);
        Fuzz.allocationBounded(b, SyncCodec::decode);
    }

    static final Pattern FAILED_AT_ENTRY = Pattern.compile("entry \\d+: .*");

    @Test
    void theCountAHeaderClaimsSizesNoAllocation() throws Exception {
        AtomicInteger checked = new AtomicInteger();
        Fuzz.forAll(datagrams(), b -> {
            SyncCodec.Result r = SyncCodec.decode(b);
            if (!(r instanceof SyncCodec.Malformed m) || !FAILED_AT_ENTRY.matcher(m.detail()).matches()) {
                return;
            }
            // It failed at entry k, so it claims at least k entries; claiming 255 reaches the same entry and fails
            // the same way. Version 1 counts in byte 4, version 0 in byte 0 (non-zero, so still version 0).
            boolean v1 = b.length >= SyncCodec.HEADER_V1 && b[0] == 0 && b[5] == SyncCodec.VERSION_1 && b[6] == 0
                    && b[7] == 0;
            byte[] more = b.clone();
            more[v1 ? 4 : 0] = (byte) 255;
            assertThat(SyncCodec.decode(more)).isEqualTo(r);
            long[] bytes = Fuzz.leastAllocated(() -> SyncCodec.decode(more), () -> SyncCodec.decode(b));
            assertThat(bytes[0]).as("claiming 255 entries").isLessThanOrEqualTo(bytes[1] + Fuzz.CLAIM_SLACK);
            checked.incrementAndGet();
        });
        assertThat(checked.get()).as("datagrams that failed at an entry").isGreaterThan(Fuzz.TRIES / 20);
    }
}
