package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.sync.internal.SyncCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncWatcherTest {
    long now = 1_000_000_000L;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SyncTraffic traffic = new SyncTraffic(registry, () -> now);
    final List<String> heard = new ArrayList<>();
    final EmbeddedChannel ch = new EmbeddedChannel(new SyncWatcher.Handler(traffic, new SyncWatcher.Listener() {
        @Override
        public void message(InetAddress from, SyncMessage message) {
            heard.add(from.getHostAddress() + " " + message.connections().size());
        }

        @Override
        public void malformed(InetAddress from, SyncCodec.Error error, String detail) {
            heard.add(from.getHostAddress() + " " + error + ": " + detail);
        }
    }));

    void datagram(String from, byte[] b) {
        ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(b), new InetSocketAddress("224.0.0.81", 8848),
                new InetSocketAddress(from, 34018)));
    }

    static byte[] kernel() {
        return HexFormat.of().parseHex(SyncCodecTest.KERNEL_V1);
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? -1 : c.count();
    }

    @Test
    void countsMessagesEntriesAndErrorsPerSender() {
        datagram("10.99.0.11", kernel());
        now += 2_000_000_000L;
        datagram("10.99.0.11", kernel());
        datagram("10.99.0.12", new byte[] {0, 1, 0, 9});
        assertThat(heard).containsExactly("10.99.0.11 6", "10.99.0.11 6",
                "10.99.0.12 SIZE_MISMATCH: size: 9 (expected: the datagram's 4)");
        assertThat(counter("lvsd.sync.messages", "sender", "10.99.0.11")).isEqualTo(2);
        assertThat(counter("lvsd.sync.entries", "sender", "10.99.0.11")).isEqualTo(12);
        assertThat(counter("lvsd.sync.decode.errors", "sender", "10.99.0.12", "reason", "size_mismatch")).isEqualTo(1);
        now += 3_000_000_000L;
        assertThat(registry.find("lvsd.sync.last.message.age").tags("sender", "10.99.0.11").gauge().value())
                .isEqualTo(3.0);
        assertThat(registry.find("lvsd.sync.last.message.age").tags("sender", "10.99.0.12").gauge().value()).isNaN();
        assertThat(traffic.senders()).extracting(SyncTraffic.SenderStats::sender, SyncTraffic.SenderStats::messages,
                SyncTraffic.SenderStats::errors, SyncTraffic.SenderStats::syncId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.99.0.11", 2L, 0L, 7),
                        org.assertj.core.groups.Tuple.tuple("10.99.0.12", 0L, 1L, 0));
    }

    @Test
    void heardFromIsBoundedByTime() throws Exception {
        InetAddress a = InetAddress.getByName("10.99.0.11");
        assertThat(traffic.heardFrom(a, 1_000_000_000L)).isFalse();
        datagram("10.99.0.11", kernel());
        assertThat(traffic.heardFrom(a, 1_000_000_000L)).isTrue();
        now += 1_500_000_000L;
        assertThat(traffic.heardFrom(a, 1_000_000_000L)).isFalse();
        assertThat(traffic.ageSeconds(a)).isEqualTo(1.5);
    }

    @Test
    void heardFromAnyLooksAtEverySender() throws Exception {
        assertThat(traffic.heardFromAny(1_000_000_000L)).isFalse();
        datagram("10.99.0.12", kernel());
        now += 500_000_000L;
        assertThat(traffic.heardFromAny(1_000_000_000L)).isTrue();
        assertThat(traffic.heardFromAny(400_000_000L)).isFalse();
    }

    @Test
    void senderLabelsAreBounded() {
        for (int i = 1; i <= SyncTraffic.MAX_SENDERS + 5; i++) {
            datagram("10.99.1." + i, kernel());
        }
        assertThat(traffic.senders()).hasSize(SyncTraffic.MAX_SENDERS + 1);
        assertThat(counter("lvsd.sync.messages", "sender", "other")).isEqualTo(5);
    }
}
