package io.lvsd.linux.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Fuzz;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The control-message walker ({@link RawIpSocket#control}) against {@link Fuzz#TRIES} generated inputs per property:
 * in a buffer of well-formed {@code struct cmsghdr}s it finds the first of a level and type with enough data; in any
 * buffer (noise, or well-formed ones with edits to lengths, levels and types) it answers an offset inside the buffer
 * with room for the data, or -1, and never throws or loops.
 */
class ControlMessagePropertyTest {
    /** Well-formed control messages: (level, type, data length), packed as the kernel packs them. */
    record Built(byte[] buffer, List<int[]> messages) {
    }

    static final Generator<Built> BUILT = r -> {
        List<int[]> ms = new ArrayList<>();
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        for (int n = r.intRange(0, 6); n > 0; n--) {
            int data = r.intRange(0, 40);
            int len = 16 + data;
            if (b.position() + ((len + 7) & ~7) > b.capacity()) {
                break;
            }
            int level = r.intRange(0, 3);
            int type = r.intRange(0, 3);
            int start = b.position();
            b.putLong(len).putInt(level).putInt(type);
            for (int i = 0; i < data; i++) {
                b.put(r.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE));
            }
            b.position(start + ((len + 7) & ~7));
            ms.add(new int[] {level, type, data, start});
        }
        return new Built(java.util.Arrays.copyOf(b.array(), b.position()), ms);
    };

    @Test
    void theFirstMatchingMessageIsFound() {
        Fuzz.forAll(BUILT, m -> {
            for (int level = 0; level < 4; level++) {
                for (int type = 0; type < 4; type++) {
                    int expected = -1;
                    for (int[] x : m.messages()) {
                        if (x[0] == level && x[1] == type && x[2] >= 8) {
                            expected = x[3] + 16;
                            break;
                        }
                    }
                    assertThat(RawIpSocket.control(m.buffer(), m.buffer().length, level, type, 8)).isEqualTo(expected);
                }
            }
        });
    }

    @Test
    void anyBufferGivesAnOffsetWithRoomOrMinusOne() {
        List<byte[]> seeds = new ArrayList<>();
        Fuzz.forAll(32, BUILT, m -> seeds.add(m.buffer()));
        Fuzz.forAll(Fuzz.mutated(seeds), b -> {
            for (int length : new int[] {b.length, b.length / 2}) {
                int at = RawIpSocket.control(b, length, 0, 1, 8);
                assertThat(at == -1 || (at >= 16 && at + 8 <= length)).as("offset " + at + " of " + length).isTrue();
            }
        });
    }
}
