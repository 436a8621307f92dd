package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.testkit.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Reading DNS responses: compressed names as Netty reads them, and names bounded as RFC 1035 bounds them. */
class DnsCheckerTest {
    /** example.org A, answered with a CNAME to www.example.org (compressed) and its A record 10.0.0.1. */
    static final byte[] CNAME_CHAIN = HexFormat.of().parseHex("000781800001000200000000"
            + "076578616d706c65036f726700" + "00010001"
            + "c00c" + "0005" + "0001" + "0000003c" + "0006" + "03777777" + "c00c"
            + "c029" + "0001" + "0001" + "0000003c" + "0004" + "0a000001");

    /** A response to one question whose name is 230 one-letter labels and then a pointer back to the first. */
    static byte[] loopingName() {
        byte[] b = new byte[12 + 2 * 230 + 2 + 4];
        b[1] = 7;
        b[2] = (byte) 0x81;
        b[3] = (byte) 0x80;
        b[5] = 1;
        for (int i = 0; i < 230; i++) {
            b[12 + 2 * i] = 1;
            b[13 + 2 * i] = 'x';
        }
        b[12 + 460] = (byte) 0xc0;
        b[13 + 460] = 12;
        return b;
    }

    static DatagramDnsResponse decode(byte[] datagram) {
        EmbeddedChannel ch = new EmbeddedChannel(DnsChecker.responseDecoder());
        ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(datagram), new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 53)));
        return ch.readInbound();
    }

    @Test
    void compressedNamesReadAsNettyReadsThem() {
        for (int at : new int[] {12, 29, 41, 47}) {
            ByteBuf ours = Unpooled.wrappedBuffer(CNAME_CHAIN).readerIndex(at);
            ByteBuf netty = Unpooled.wrappedBuffer(CNAME_CHAIN).readerIndex(at);
            assertThat(DnsChecker.decodeName(ours)).isEqualTo(DefaultDnsRecordDecoder.decodeName(netty));
            assertThat(ours.readerIndex()).as("after the name, or after its first pointer").isEqualTo(netty.readerIndex());
        }
        DatagramDnsResponse r = decode(CNAME_CHAIN);
        try {
            assertThat(r.count(DnsSection.ANSWER)).isEqualTo(2);
            assertThat(DnsChecker.text(r.recordAt(DnsSection.ANSWER, 0))).isEqualTo("www.example.org.");
            assertThat(DnsChecker.text(r.recordAt(DnsSection.ANSWER, 1))).isEqualTo("10.0.0.1");
        } finally {
            r.release();
        }
    }

    @Test
    void aNameLongerThan255OctetsIsRejectedHoweverItsPointersLoop() {
        byte[] loop = loopingName();
        assertThatThrownBy(() -> DnsChecker.decodeName(Unpooled.wrappedBuffer(loop).readerIndex(12)))
                .isInstanceOf(CorruptedFrameException.class).hasMessage("name longer than 255 octets");
        assertThatThrownBy(() -> decode(loop)).isInstanceOf(DecoderException.class)
                .hasMessageContaining("name longer than 255 octets");
        // Netty's own reader went round the loop until it had made as many jumps as the message has bytes: 3 MB
        // of labels for this 478-byte reply.
        // The least of three runs: Netty's pooled allocator now and then takes a new chunk of heap on this thread,
        // whose size depends on what earlier tests on it allocated, not on this decoder (75 KB in one CI run).
        long got = Fuzz.leastAllocated(3, () -> {
            try {
                decode(loop);
            } catch (DecoderException expected) {
                // the reply is refused; what it cost is the point
            }
        });
        assertThat(got).isLessThan(Fuzz.allocationBound(loop.length));
    }
}
