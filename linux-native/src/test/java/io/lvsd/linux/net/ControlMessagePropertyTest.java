package io.lvsd.linux.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.LinuxNative;
import io.lvsd.testkit.Fuzz;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control-message walker ({@link RawIpSocket#control}) against {@link Fuzz#TRIES} generated inputs per property.
 * In ancillary data of well-formed {@code struct cmsghdr}s, whole or cut short, it finds the first message of a level
 * and type with enough data, as CMSG_FIRSTHDR/CMSG_NXTHDR would. In any buffer (noise, or well-formed ones with edits
 * to lengths, levels and types, cmsg_len 0 among them) it answers -1 or the data offset of an aligned header of that
 * level and type whose length, inside the buffer, holds the data; it never throws, loops or allocates for a length
 * the buffer claims, and {@link RawIpSocket#kernelTimestamp} never throws.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a walk that stops advancing fails, not hangs
class ControlMessagePropertyTest {
    static final ByteOrder HOST = ByteOrder.nativeOrder();
    /** sizeof(struct cmsghdr) on 64-bit Linux: size_t cmsg_len, int cmsg_level, int cmsg_type. */
    static final int HDR = 16;
    /** What lvsd asks for (SO_TIMESTAMPNS, IPV6_PKTINFO, IPV6_HOPLIMIT), and others. */
    static final int[] LEVELS = {0, LinuxNative.SOL_SOCKET, LinuxNative.IPPROTO_IPV6};
    static final int[] TYPES = {1, LinuxNative.SO_TIMESTAMPNS, LinuxNative.IPV6_PKTINFO, LinuxNative.IPV6_HOPLIMIT};
    static final int[] MIN_DATA = {0, 4, 8, 16, 20};

    /** One message: level, type, data length, and where its header starts. */
    record Cmsg(int level, int type, int data, int start) {
    }

    /**
     * Control messages as the kernel packs them (put_cmsg: each padded to CMSG_ALIGN, 8 bytes), and a point to cut
     * them at, as MSG_CTRUNC leaves them when msg_controllen is short.
     */
    record Built(byte[] buffer, List<Cmsg> messages, int cut) {
        @Override
        public String toString() {
            return messages + " cut at " + cut + " in " + java.util.HexFormat.of().formatHex(buffer);
        }
    }

    static final Generator<Built> BUILT = r -> {
        List<Cmsg> ms = new ArrayList<>();
        ByteBuffer b = ByteBuffer.allocate(512).order(HOST);
        for (int n = r.intRange(0, 6); n > 0; n--) {
            int data = r.intRange(0, 40);
            int len = HDR + data;
            if (b.position() + align(len) > b.capacity()) {
                break;
            }
            int level = LEVELS[r.intRange(0, LEVELS.length - 1)];
            int type = TYPES[r.intRange(0, TYPES.length - 1)];
            int start = b.position();
            b.putLong(len).putInt(level).putInt(type);
            for (int i = 0; i < data; i++) {
                b.put(r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE));
            }
            b.position(start + align(len));
            ms.add(new Cmsg(level, type, data, start));
        }
        return new Built(Arrays.copyOf(b.array(), b.position()), ms, r.intRange(0, b.position()));
    };

    static int align(int len) {
        return (len + 7) & ~7;
    }

    /**
     * The first of {@code ms} of {@code level} and {@code type} with {@code minData} bytes that lies whole in the
     * first {@code length} bytes: a header cut by the end, or a message running past it, ends the walk.
     */
    static int expected(List<Cmsg> ms, int length, int level, int type, int minData) {
        for (Cmsg m : ms) {
            if (m.start() + HDR + m.data() > length) {
                return -1;
            }
            if (m.level() == level && m.type() == type && m.data() >= minData) {
                return m.start() + HDR;
            }
        }
        return -1;
    }

    @Test
    void theFirstMatchingMessageIsFound() {
        Fuzz.forAll(BUILT, m -> {
            byte[] b = m.buffer();
            for (int length : new int[] {b.length, m.cut()}) {
                for (int level : LEVELS) {
                    for (int type : TYPES) {
                        for (int minData : MIN_DATA) {
                            assertThat(RawIpSocket.control(b, length, level, type, minData))
                                    .as("level %d type %d minData %d in %d bytes", level, type, minData, length)
                                    .isEqualTo(expected(m.messages(), length, level, type, minData));
                        }
                    }
                }
            }
        });
    }

    /** A buffer with a length to walk, a level, a type and a minimum of data to look for. */
    record Query(byte[] buffer, int length, int level, int type, int minData) {
        @Override
        public String toString() {
            return "level " + level + " type " + type + " minData " + minData + " in " + length + " of "
                    + java.util.HexFormat.of().formatHex(buffer);
        }
    }

    static Generator<Query> queries(Generator<byte[]> buffers) {
        return r -> {
            byte[] b = buffers.generate(r);
            return new Query(b, r.trueOrFalse() ? b.length : r.intRange(0, b.length), pick(r, LEVELS), pick(r, TYPES),
                    pick(r, MIN_DATA));
        };
    }

    static int pick(Random r, int[] values) {
        return values[r.intRange(0, values.length - 1)];
    }

    @Test
    void anyBufferGivesMinusOneOrAMatchingHeaderWithRoomForTheData() {
        List<byte[]> seeds = new ArrayList<>();
        Fuzz.forAll(32, BUILT, m -> seeds.add(m.buffer()));
        Fuzz.forAll(queries(Fuzz.mutated(seeds)), q -> {
            int at = RawIpSocket.control(q.buffer(), q.length(), q.level(), q.type(), q.minData());
            if (at != -1) {
                int start = at - HDR;
                assertThat(start).as("header offset").isNotNegative().isEqualTo(align(start));
                ByteBuffer h = ByteBuffer.wrap(q.buffer()).order(HOST);
                long len = h.getLong(start);
                assertThat(h.getInt(start + 8)).as("cmsg_level").isEqualTo(q.level());
                assertThat(h.getInt(start + 12)).as("cmsg_type").isEqualTo(q.type());
                assertThat(len).as("cmsg_len").isGreaterThanOrEqualTo(HDR + q.minData());
                assertThat(start + len).as("the message's end").isLessThanOrEqualTo(q.length());
            }
            RawIpSocket.kernelTimestamp(q.buffer(), q.length());
            Fuzz.allocationBounded(q.buffer(),
                    b -> RawIpSocket.control(b, q.length(), q.level(), q.type(), q.minData()));
        });
    }
}
