package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.RawIpSocket;
import org.junit.jupiter.api.Test;

/** The runtime's pure decisions. */
class VrrpRuntimeTest {
    private static final long MS = 1_000_000L;
    /** v3, advert 100 ms, priority 100: 300 ms + Skew_Time 60.9375 ms. */
    private static final long MASTER_DOWN = 360_937_500L;

    private static RawIpSocket.Packet packet(long receivedAt, long waited) {
        return new RawIpSocket.Packet(IpAddresses.parse("10.96.0.12"), IpAddresses.parse("224.0.0.18"), 255,
                new byte[0], receivedAt, waited);
    }

    @Test
    void anAdvertCountsFromTheKernelsReceiveTime() {
        assertThat(VrrpRuntime.arrival(packet(5_000 * MS, 3 * MS), MASTER_DOWN)).isEqualTo(5_000 * MS);
        assertThat(VrrpRuntime.arrival(packet(5_000 * MS, 0), MASTER_DOWN)).as("no stamp: when read")
                .isEqualTo(5_000 * MS);
    }

    @Test
    void noMoreThanAnEighthOfMasterDownIsCredited() {
        long limit = MASTER_DOWN / 8; // 45.1 ms, under half the 100 ms advert interval
        assertThat(VrrpRuntime.arrival(packet(5_000 * MS, limit), MASTER_DOWN)).isEqualTo(5_000 * MS);
        long read = 5_000 * MS + 900 * MS;
        assertThat(VrrpRuntime.arrival(packet(5_000 * MS, 900 * MS), MASTER_DOWN)).as("a stepped clock's stamp")
                .isEqualTo(read - limit);
    }
}
