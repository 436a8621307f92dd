package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.SyncConnection.SeqData;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.sync.internal.SyncCodec.Decoded;
import io.lvsd.sync.internal.SyncCodec.Malformed;
import io.lvsd.testkit.Pcap;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncCodecTest {
    /**
     * The UDP payload of fixtures/ipvs-sync-v1.pcap: a Linux 6.1 master sync daemon, sync id 7, six LVS-DR TCP
     * connections from 10.99.0.50 to 10.99.0.100:80 on real server 10.99.0.21:80.
     */
    static final String KERNEL_V1 = String.join("",
            "00", "07", "00e0", "06", "01", "0000", // 0, syncid 7, size 224, 6 entries, version 1, spare
            // entry 1
            "00", "06", "0024",         // type IPv4, TCP, version 0 / size 36
            "00000083",                 // flags: DROUTE | NOOUTPUT
            "0001", "a90e", "0050", "0050", // ESTABLISHED, cport 43278, vport 80, dport 80
            "00000000", "00000384",     // fwmark 0, timeout 900 s
            "0a630032", "0a630064", "0a630015", // 10.99.0.50 -> 10.99.0.100 -> 10.99.0.21
            // entry 2: the same connection a moment later, closing
            "00", "06", "0024", "00000183", // flags: DROUTE | NOOUTPUT | INACTIVE
            "0004", "a90e", "0050", "0050", "00000000", "00000078", // FIN_WAIT, timeout 120 s
            "0a630032", "0a630064", "0a630015",
            "00", "06", "0024", "00000083", "0001", "a918", "0050", "0050", "00000000", "00000384",
            "0a630032", "0a630064", "0a630015",
            "00", "06", "0024", "00000183", "0004", "a918", "0050", "0050", "00000000", "00000078",
            "0a630032", "0a630064", "0a630015",
            "00", "06", "0024", "00000083", "0001", "a928", "0050", "0050", "00000000", "00000384",
            "0a630032", "0a630064", "0a630015",
            "00", "06", "0024", "00000183", "0004", "a928", "0050", "0050", "00000000", "00000078",
            "0a630032", "0a630064", "0a630015");

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    static SyncMessage decoded(byte[] b) {
        SyncCodec.Result r = SyncCodec.decode(b);
        assertThat(r).isInstanceOf(Decoded.class);
        return ((Decoded) r).message();
    }

    static Malformed malformed(byte[] b) {
        SyncCodec.Result r = SyncCodec.decode(b);
        assertThat(r).isInstanceOf(Malformed.class);
        return (Malformed) r;
    }

    @Test
    void fixtureIsTheAnnotatedKernelMessage() throws Exception {
        List<Pcap.Ip> udp = Pcap.ip(getClass(), "/fixtures/ipvs-sync-v1.pcap", 17);
        assertThat(udp).hasSize(1);
        assertThat(udp.get(0).dst()).isEqualTo(ip("224.0.0.81"));
        byte[] d = udp.get(0).payload();
        assertThat(((d[2] & 0xff) << 8) | (d[3] & 0xff)).as("UDP destination port").isEqualTo(8848);
        assertThat(Arrays.copyOfRange(d, 8, d.length)).isEqualTo(hex(KERNEL_V1));
    }

    @Test
    void decodesTheKernelsVersion1Message() throws Exception {
        SyncMessage m = decoded(hex(KERNEL_V1));
        assertThat(m.version()).isEqualTo(1);
        assertThat(m.syncId()).isEqualTo(7);
        assertThat(m.connections()).hasSize(6);
        SyncConnection c = m.connections().get(0);
        assertThat(c.family()).isEqualTo(IpFamily.IPV4);
        assertThat(c.protocolName()).isEqualTo("TCP");
        assertThat(c.client()).isEqualTo(ip("10.99.0.50"));
        assertThat(c.clientPort()).isEqualTo(43278);
        assertThat(c.virtual()).isEqualTo(ip("10.99.0.100"));
        assertThat(c.virtualPort()).isEqualTo(80);
        assertThat(c.real()).isEqualTo(ip("10.99.0.21"));
        assertThat(c.realPort()).isEqualTo(80);
        assertThat(c.forwarding()).isEqualTo("Route");
        assertThat(c.stateName()).isEqualTo("ESTABLISHED");
        assertThat(c.timeoutSeconds()).isEqualTo(900);
        assertThat(c.fwmark()).isZero();
        assertThat(c.template()).isFalse();
        assertThat(c.seq()).isNull();
        SyncConnection closing = m.connections().get(1);
        assertThat(closing.stateName()).isEqualTo("FIN_WAIT");
        assertThat(closing.flags() & SyncConnection.F_INACTIVE).isNotZero();
        assertThat(closing.timeoutSeconds()).isEqualTo(120);
        assertThat(m.connections()).extracting(SyncConnection::clientPort)
                .containsExactly(43278, 43278, 43288, 43288, 43304, 43304);
    }

    @Test
    void reEncodesTheKernelsMessageByteForByte() {
        byte[] k = hex(KERNEL_V1);
        assertThat(SyncCodec.encode(decoded(k))).isEqualTo(k);
    }

    @Test
    void ipv6EntriesWithOptionsArePaddedTo32BitsAndRoundTrip() throws Exception {
        SeqData seq = new SeqData(1000, 5, 0, 2000, 0xfffffff0L, 3);
        SyncConnection v6 = new SyncConnection(IpFamily.IPV6, 6, SyncConnection.F_MASQ | SyncConnection.F_IN_SEQ, 1,
                ip("2001:db8::50"), 40000, ip("2001:db8::100"), 443, ip("2001:db8:1::21"), 8443, 7, 300, seq,
                new byte[] {1, 2, 3}, "sip", List.of());
        SyncConnection udp = SyncConnection.of(17, SyncConnection.F_DROUTE, 0, ip("10.0.0.1"), 5353,
                ip("10.0.0.100"), 53, ip("10.0.0.21"), 53, 300);
        SyncMessage m = new SyncMessage(1, 200, List.of(v6, udp));
        byte[] b = SyncCodec.encode(m);
        // 8 header + (72 + 26 seq + 5 pe data + 5 pe name = 108) + 36; 108 is already 32-bit aligned
        assertThat(b).hasSize(8 + 108 + 36);
        assertThat(b[8]).as("type: IPv6").isEqualTo((byte) 1);
        assertThat(((b[10] & 0xff) << 8) | (b[11] & 0xff)).as("first entry's size").isEqualTo(108);
        assertThat(decoded(b)).isEqualTo(m);
        assertThat(decoded(b).connections().get(1).stateName()).isEqualTo("UDP");

        SyncConnection odd = new SyncConnection(IpFamily.IPV4, 6, 0, 1, ip("10.0.0.1"), 1, ip("10.0.0.2"), 2,
                ip("10.0.0.3"), 3, 0, 10, null, new byte[] {9}, null, List.of());
        byte[] p = SyncCodec.encode(new SyncMessage(1, 1, List.of(odd, udp)));
        assertThat(p).as("39-byte entry, 1 byte of padding, 36-byte entry").hasSize(8 + 39 + 1 + 36);
        assertThat(p[8 + 39]).isZero();
        assertThat(decoded(p).connections()).containsExactly(odd, udp);
    }

    @Test
    void version0RoundTripsWithSequenceData() throws Exception {
        SyncConnection c = new SyncConnection(IpFamily.IPV4, 6, SyncConnection.F_OUT_SEQ, 1, ip("10.0.0.1"), 1234,
                ip("10.0.0.100"), 21, ip("10.0.0.21"), 21, 0, 0, new SeqData(1, 2, 3, 4, 5, 6), null, null, List.of());
        SyncConnection plain = SyncConnection.of(17, 0, 0, ip("10.0.0.2"), 9, ip("10.0.0.100"), 53,
                ip("10.0.0.22"), 53, 0);
        SyncMessage m = new SyncMessage(0, 9, List.of(c, plain));
        byte[] b = SyncCodec.encode(m);
        assertThat(b).hasSize(4 + 48 + 24);
        assertThat(b[0]).as("count first in version 0").isEqualTo((byte) 2);
        assertThat(decoded(b)).isEqualTo(m);
    }

    @Test
    void ipv6EntriesKeepIpv4MappedAddressesIpv6() throws Exception {
        // Found by SyncCodecPropertyTest: InetAddress.getByAddress made ::ffff:10.0.0.1 an Inet4Address, and the
        // entry's constructor threw out of decode.
        InetAddress mapped = java.net.Inet6Address.getByAddress(null, hex("00000000000000000000ffff0a000001"), -1);
        SyncMessage m = new SyncMessage(1, 1, List.of(new SyncConnection(IpFamily.IPV6, 6, 0, 1, mapped, 1,
                ip("2001:db8::100"), 80, mapped, 80, 0, 10, null, null, null, List.of())));
        assertThat(decoded(SyncCodec.encode(m))).isEqualTo(m);
    }

    @Test
    void theCountAHeaderClaimsSizesNoAllocation() {
        // Found by SyncCodecPropertyTest: the entry list was sized by the claimed count, not by the bytes.
        byte[] one = hex("01070004");
        byte[] many = hex("ff070004");
        assertThat(SyncCodec.decode(many)).isEqualTo(SyncCodec.decode(one));
        long[] bytes = io.lvsd.testkit.Fuzz.leastAllocated(() -> SyncCodec.decode(many), () -> SyncCodec.decode(one));
        assertThat(bytes[0]).isLessThanOrEqualTo(bytes[1] + io.lvsd.testkit.Fuzz.CLAIM_SLACK);
    }

    @Test
    void unknownOptionsAreReportedNotFatal() throws Exception {
        byte[] base = SyncCodec.encode(new SyncMessage(1, 1, List.of(SyncConnection.of(6, 0, 1, ip("10.0.0.1"), 1,
                ip("10.0.0.2"), 2, ip("10.0.0.3"), 3, 10))));
        byte[] b = Arrays.copyOf(base, base.length + 4);
        b[b.length - 4] = (byte) (0x40 | 9); // an optional parameter (IPVS_OPT_F_PARAM) of type 9
        b[b.length - 3] = 2;
        b[3] = (byte) b.length;
        b[8 + 3] = 40; // entry size 36 + 4
        assertThat(decoded(b).connections().get(0).unknownOptions()).containsExactly(0x49);
    }

    @Test
    void malformedInputGivesATypedErrorNamingTheField() {
        byte[] k = hex(KERNEL_V1);
        assertThat(malformed(new byte[] {0, 7}).error()).isEqualTo(SyncCodec.Error.SHORT_HEADER);
        Malformed size = malformed(Arrays.copyOf(k, k.length - 1));
        assertThat(size.error()).isEqualTo(SyncCodec.Error.SIZE_MISMATCH);
        assertThat(size.detail()).isEqualTo("size: 224 (expected: the datagram's 223)");

        byte[] shortened = Arrays.copyOf(k, 8 + 36 + 20); // two entries promised room for, the second cut
        shortened[2] = 0;
        shortened[3] = (byte) shortened.length;
        assertThat(malformed(shortened).error()).isEqualTo(SyncCodec.Error.TRUNCATED_ENTRY);
        assertThat(malformed(shortened).detail()).startsWith("entry 2:");

        byte[] version = k.clone();
        version[8 + 2] = 0x10; // entry version 1
        assertThat(malformed(version).error()).isEqualTo(SyncCodec.Error.ENTRY_VERSION);

        byte[] type = k.clone();
        type[8] = 4;
        assertThat(malformed(type).error()).isEqualTo(SyncCodec.Error.ENTRY_TYPE);

        byte[] tooSmall = k.clone();
        tooSmall[8 + 3] = 20; // entry size 20 < 36
        assertThat(malformed(tooSmall).detail()).isEqualTo("entry 1: size 20 (expected: >= 36 for IPv4)");

        byte[] past = k.clone();
        past[8 + 3] = (byte) 0xff;
        past[8 + 2] = 0x0f; // size 4095
        assertThat(malformed(past).error()).isEqualTo(SyncCodec.Error.TRUNCATED_ENTRY);
    }

    @Test
    void badOptionsAreTypedErrors() throws Exception {
        byte[] base = SyncCodec.encode(new SyncMessage(1, 1, List.of(new SyncConnection(IpFamily.IPV4, 6,
                SyncConnection.F_IN_SEQ, 1, ip("10.0.0.1"), 1, ip("10.0.0.2"), 2, ip("10.0.0.3"), 3, 0, 10,
                new SeqData(1, 2, 3, 4, 5, 6), null, null, List.of()))));
        byte[] zero = base.clone();
        zero[8 + 36 + 1] = 0;
        assertThat(malformed(zero).error()).isEqualTo(SyncCodec.Error.OPTION_LENGTH);
        byte[] longer = base.clone();
        longer[8 + 36 + 1] = 30;
        assertThat(malformed(longer).error()).isEqualTo(SyncCodec.Error.OPTION_LENGTH);

        byte[] twice = Arrays.copyOf(base, base.length + 26); // the sequence option again
        System.arraycopy(base, 8 + 36, twice, base.length, 26);
        twice[3] = (byte) twice.length;
        twice[8 + 3] = (byte) (36 + 52);
        assertThat(malformed(twice).error()).isEqualTo(SyncCodec.Error.DUPLICATE_OPTION);

        byte[] header = Arrays.copyOf(base, base.length + 1); // one stray byte: an option header cut short
        header[3] = (byte) header.length;
        header[8 + 3] = (byte) (36 + 27);
        assertThat(malformed(header).error()).isEqualTo(SyncCodec.Error.TRUNCATED_OPTION);
    }

    @Test
    void everyTruncationOfTheKernelMessageIsATypedError() {
        byte[] k = hex(KERNEL_V1);
        for (int n = 0; n < k.length; n++) {
            byte[] t = Arrays.copyOf(k, n);
            if (n >= 4) {
                t[2] = (byte) (n >> 8);
                t[3] = (byte) n; // a consistent header, so the entries themselves are cut
            }
            if (n >= 4 && n < 8) {
                // Too short for the version 1 header, so it reads as version 0 (first byte: count 0), as the
                // kernel reads it: a valid empty message.
                assertThat(decoded(t).connections()).as("first %d bytes", n).isEmpty();
                assertThat(decoded(t).version()).isZero();
            } else {
                assertThat(SyncCodec.decode(t)).as("first %d bytes", n).isInstanceOf(Malformed.class);
            }
        }
    }
}
