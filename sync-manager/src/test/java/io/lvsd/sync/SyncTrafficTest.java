package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The kernel's drop count of the listening sockets, as SyncTraffic reports it. */
class SyncTrafficTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SyncTraffic traffic = new SyncTraffic(registry, () -> 0L);

    @Test
    void theSocketIsReadWithoutHoldingTheTrafficLock() {
        // The socket's count takes the watcher's lock, which a send holds: message() must not wait behind it.
        traffic.countDrops(() -> {
            assertThat(Thread.holdsLock(traffic)).as("SyncTraffic's lock held while reading the socket").isFalse();
            return 7;
        });
        assertThat(traffic.dropped()).isEqualTo(7);
        assertThat(registry.find("lvsd.sync.receive.dropped").functionCounter().count()).isEqualTo(7);
        traffic.stopCountingDrops();
        assertThat(traffic.dropped()).as("the closed socket's last count is kept").isEqualTo(7);
        traffic.countDrops(() -> 3);
        assertThat(traffic.dropped()).as("and the next socket's added").isEqualTo(10);
    }

    @Test
    void theCountNeverGoesBack() {
        AtomicLong socket = new AtomicLong(9);
        traffic.countDrops(socket::get);
        assertThat(traffic.dropped()).isEqualTo(9);
        socket.set(5); // e.g. a read that raced the socket's close saw more than the count then kept
        assertThat(traffic.dropped()).isEqualTo(9);
        socket.set(12);
        assertThat(traffic.dropped()).isEqualTo(12);
    }
}
