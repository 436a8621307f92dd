package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a channel's readers count into: made on the loop, the channel's own meter gone with it. */
class ChannelMetersTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    Counter drops(String instance, DropReason r) {
        return Counter.builder("lvsd.vrrp.drops").tag("instance", instance).tag("reason", r.label()).register(registry);
    }

    /** An instance's drop counters, as VrrpRuntime.Inst registers them. */
    Map<DropReason, Counter> instanceDrops(String instance) {
        Map<DropReason, Counter> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            m.put(r, drops(instance, r));
        }
        return m;
    }

    double count(String instance, DropReason r) {
        Counter c = registry.find("lvsd.vrrp.drops").tags("instance", instance, "reason", r.label()).counter();
        return c == null ? -1 : c.count();
    }

    @Test
    void whatTheFilterKeepsOutCountsForTheChannelAndTheInstance() {
        ChannelMeters m = new ChannelMeters(registry, "eth0/IPv4", r -> drops("", r));
        m.instances(Map.of("VI_1", instanceDrops("VI_1")));
        m.filtered("VI_1", DropReason.UNICAST_SOURCE_ERROR);
        m.filtered("", DropReason.VRID_ERROR);
        m.queueDropped(3);
        assertThat(registry.find("lvsd.vrrp.filtered").tags("socket", "eth0/IPv4").counter().count()).isEqualTo(2);
        assertThat(count("VI_1", DropReason.UNICAST_SOURCE_ERROR)).isEqualTo(1);
        assertThat(count("", DropReason.VRID_ERROR)).isEqualTo(1);
        assertThat(count("", DropReason.RECEIVE_QUEUE_FULL)).isEqualTo(3);
    }

    @Test
    void aReaderNeverRegistersACounterForAnInstanceThatStopped() {
        ChannelMeters m = new ChannelMeters(registry, "eth0/IPv4", r -> drops("", r));
        Map<DropReason, Counter> vi2 = instanceDrops("VI_2");
        m.instances(Map.of("VI_1", instanceDrops("VI_1"), "VI_2", vi2));
        // VI_2 stops: its meters go, and the loop hands the channel the instances left.
        vi2.values().forEach(registry::remove);
        m.instances(Map.of("VI_1", instanceDrops("VI_1")));
        m.filtered("VI_2", DropReason.UNICAST_SOURCE_ERROR); // a reader's packet, classified by the filter before
        assertThat(registry.find("lvsd.vrrp.drops").tags("instance", "VI_2").counters()).as("no stray counter")
                .isEmpty();
        assertThat(count("", DropReason.UNICAST_SOURCE_ERROR)).as("counted as no instance's").isEqualTo(1);
    }

    @Test
    void theChannelsOwnCounterGoesWhenItCloses() {
        ChannelMeters m = new ChannelMeters(registry, "eth0/IPv4", r -> drops("", r));
        m.instances(Map.of("VI_1", instanceDrops("VI_1")));
        m.filtered("VI_1", DropReason.UNICAST_SOURCE_ERROR);
        m.close();
        assertThat(registry.find("lvsd.vrrp.filtered").counters()).isEmpty();
        m.filtered("VI_1", DropReason.UNICAST_SOURCE_ERROR); // the reader, before it noticed the close
        assertThat(registry.find("lvsd.vrrp.filtered").counters()).as("not registered again").isEmpty();
        assertThat(count("", DropReason.UNICAST_SOURCE_ERROR)).isEqualTo(1);
    }

    @Test
    void aReasonNoReaderCountsIsRefused() {
        ChannelMeters m = new ChannelMeters(registry, "eth0/IPv4", r -> drops("", r));
        assertThatThrownBy(() -> m.filtered("", DropReason.CHECKSUM_ERROR))
                .hasMessageStartingWith("reason: checksum (expected: one of");
    }
}
