package io.lvsd.linux.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.LinuxNative;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Ancillary data and receive timestamps, without a socket. */
class RawIpSocketTest {
    private static final long S = 1_000_000_000L;

    /** One {@code struct cmsghdr} with {@code data}, padded to 8 bytes as the kernel lays them out. */
    private static void cmsg(ByteBuffer b, int level, int type, byte[] data) {
        int start = b.position();
        b.putLong(16 + data.length).putInt(level).putInt(type).put(data);
        b.position(start + ((16 + data.length + 7) & ~7));
    }

    private static byte[] timespec(long sec, long nsec) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(sec).putLong(nsec).array();
    }

    @Test
    void findsTheTimestampAfterOtherControlMessages() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
        cmsg(b, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_PKTINFO, new byte[20]);
        cmsg(b, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_HOPLIMIT, new byte[] {(byte) 255, 0, 0, 0});
        cmsg(b, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, timespec(1_800_000_000L, 123_456_789));
        int length = b.position();
        assertThat(RawIpSocket.kernelTimestamp(b.array(), length)).isEqualTo(1_800_000_000L * S + 123_456_789);
        assertThat(RawIpSocket.control(b.array(), length, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_HOPLIMIT, 4))
                .isEqualTo(40 + 16);
        assertThat(RawIpSocket.control(b.array(), length, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_PKTINFO, 20))
                .isEqualTo(16);
    }

    @Test
    void theQueueDropCountIsAnUnsigned32BitCountBesideTheTimestamp() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
        cmsg(b, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, timespec(1, 2));
        assertThat(RawIpSocket.queueDrops(b.array(), b.position())).as("no drops: the kernel sends none").isEqualTo(-1);
        cmsg(b, LinuxNative.SOL_SOCKET, LinuxNative.SO_RXQ_OVFL,
                ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0xfffffffe).array());
        assertThat(RawIpSocket.queueDrops(b.array(), b.position())).isEqualTo(0xfffffffeL);
        assertThat(RawIpSocket.kernelTimestamp(b.array(), b.position())).isEqualTo(S + 2);
    }

    @Test
    void theDropsBetweenTwoCountsWrapAround32Bits() {
        assertThat(RawIpSocket.dropsBetween(0, 0)).isZero();
        assertThat(RawIpSocket.dropsBetween(7, 12)).isEqualTo(5);
        assertThat(RawIpSocket.dropsBetween(0, 0xffffffffL)).isEqualTo(0xffffffffL);
        assertThat(RawIpSocket.dropsBetween(0xfffffffeL, 3)).as("past 2^32 - 1 the kernel's u32 starts again at 0")
                .isEqualTo(5);
        assertThat(RawIpSocket.dropsBetween(0xffffffffL, 0)).isEqualTo(1);
    }

    @Test
    void noTimestampWhenAbsentTruncatedOrMalformed() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
        cmsg(b, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_HOPLIMIT, new byte[4]);
        assertThat(RawIpSocket.kernelTimestamp(b.array(), b.position())).as("absent").isEqualTo(-1);
        int before = b.position();
        cmsg(b, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, timespec(1, 2));
        assertThat(RawIpSocket.kernelTimestamp(b.array(), before + 24)).as("cut off by MSG_CTRUNC").isEqualTo(-1);
        ByteBuffer bad = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        bad.putLong(8).putInt(LinuxNative.SOL_SOCKET).putInt(LinuxNative.SO_TIMESTAMPNS);
        assertThat(RawIpSocket.kernelTimestamp(bad.array(), 64)).as("length shorter than the header").isEqualTo(-1);
        ByteBuffer shortData = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        cmsg(shortData, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, new byte[8]);
        assertThat(RawIpSocket.kernelTimestamp(shortData.array(), shortData.position())).as("not a timespec")
                .isEqualTo(-1);
    }

    @Test
    void waitIsTheWallClockDifferenceUnlessTheClockWasStepped() {
        long stamp = 1_800_000_000L * S;
        assertThat(RawIpSocket.waited(stamp + 2_500_000, stamp)).isEqualTo(2_500_000);
        assertThat(RawIpSocket.waited(stamp, stamp)).isZero();
        assertThat(RawIpSocket.waited(stamp - S, stamp)).as("stepped back").isZero();
        assertThat(RawIpSocket.waited(stamp + 2 * S, stamp)).as("stepped forward").isZero();
        assertThat(RawIpSocket.waited(stamp + S, stamp)).as("the longest believed")
                .isEqualTo(RawIpSocket.MAX_BELIEVED_WAIT_NANOS);
        assertThat(RawIpSocket.waited(stamp + 5, -1)).as("no stamp").isZero();
    }

    /**
     * Both clocks advance together; a read of the wall clock may be followed by a pause (the thread preempted)
     * before the next read.
     */
    private static final class SteppingClocks implements RawIpSocket.Clocks {
        private long mono;
        private final long wallMinusMono;
        private long pauseAfterWallRead;
        private final StringBuilder reads = new StringBuilder();

        SteppingClocks(long mono, long wall) {
            this.mono = mono;
            this.wallMinusMono = wall - mono;
        }

        @Override
        public long wallNanos() {
            reads.append('w');
            long w = mono + wallMinusMono;
            mono += pauseAfterWallRead;
            return w;
        }

        @Override
        public long monoNanos() {
            reads.append('m');
            return mono;
        }
    }

    @Test
    void aReaderPausedBetweenTheClockReadsNeverMakesAPacketArriveEarly() {
        long arrivedMono = 5_000 * S;
        long arrivedWall = 1_800_000_000L * S;
        SteppingClocks c = new SteppingClocks(arrivedMono + 3_000_000, arrivedWall + 3_000_000); // read 3 ms later
        c.pauseAfterWallRead = 2_000_000; // and preempted for 2 ms between the reads
        long[] at = RawIpSocket.arrival(c, arrivedWall);
        assertThat(c.reads).as("the wall clock is read first").hasToString("wm");
        assertThat(at[1]).as("waited: stamp to the wall-clock read").isEqualTo(3_000_000);
        assertThat(at[0]).as("the pause counts as later arrival, never earlier").isGreaterThanOrEqualTo(arrivedMono)
                .isEqualTo(arrivedMono + 2_000_000);
    }

    @Test
    void anUnstampedPacketArrivesWhenItIsRead() {
        SteppingClocks c = new SteppingClocks(7 * S, 1_800_000_000L * S);
        long[] at = RawIpSocket.arrival(c, -1);
        assertThat(at).containsExactly(7 * S, 0);
    }

    @org.junit.jupiter.api.Test
    void aControlMessageWhosePaddingRunsPastTheBufferEndsTheWalk() {
        // Found by ControlMessagePropertyTest: cmsg_len 17 in a 40-byte buffer, padded to 24, threw.
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.nativeOrder());
        b.putLong(16).putInt(9).putInt(9).putLong(20).putInt(0).putInt(1);
        org.assertj.core.api.Assertions.assertThat(RawIpSocket.control(b.array(), 36, 0, 1, 8)).isEqualTo(-1);
    }
}
