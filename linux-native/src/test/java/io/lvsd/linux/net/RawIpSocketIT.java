package io.lvsd.linux.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A raw VRRP-protocol socket between two namespaces the test builds: sending, receiving, peeking and closing. */
class RawIpSocketIT {
    private static final int VRRP = 112;

    @Test
    void hasQueuedSeesAWaitingPacketWithoutTakingIt() throws Exception {
        Lab.requireRoot("builds network namespaces");
        try (Netns ns = new Netns("lvsd-raw")) {
            ns.bridge("lan");
            ns.link("a", "eth0", "lan", "10.97.0.1/24");
            ns.link("b", "eth0", "lan", "10.97.0.2/24");
            InetAddress group = InetAddress.getByName("224.0.0.18");
            RawIpSocket rx = NetNamespace.call(ns.name("b"), () -> {
                RawIpSocket s = RawIpSocket.open(IpFamily.IPV4, VRRP, "eth0",
                        NetworkInterface.getByName("eth0").getIndex(), 0xc0, 250);
                s.joinGroup(group);
                return s;
            });
            RawIpSocket tx = NetNamespace.call(ns.name("a"), () -> RawIpSocket.open(IpFamily.IPV4, VRRP, "eth0",
                    NetworkInterface.getByName("eth0").getIndex(), 0xc0, 250));
            try (rx; tx) {
                assertThat(rx.hasQueued()).as("nothing sent yet").isFalse();
                byte[] payload = {0x31, 51, 100, 1, 0, 100, 0, 0, 10, 97, 0, 100};
                long sent = System.nanoTime();
                tx.send(payload, InetAddress.getByName("10.97.0.1"), group);
                await().atMost(Duration.ofSeconds(10)).until(rx::hasQueued);
                assertThat(rx.hasQueued()).as("a peek leaves the packet queued").isTrue();
                RawIpSocket.Packet p = rx.receive();
                long read = System.nanoTime();
                assertThat(p).isNotNull();
                // The lower bound allows 1 ms of wall-clock slew against nanoTime between send and receive; the
                // order of the clock reads (RawIpSocketTest) makes a preempted reader late, never early.
                assertThat(p.receivedAt()).as("the kernel's receive time, between send and read")
                        .isBetween(sent - 1_000_000, read);
                assertThat(p.waitedNanos()).isPositive();
                assertThat(p.payload()).containsExactly(payload);
                assertThat(p.source()).isEqualTo(InetAddress.getByName("10.97.0.1"));
                assertThat(p.ttl()).isEqualTo(255);
                assertThat(rx.hasQueued()).as("the one packet was received").isFalse();
                rx.close();
                assertThat(rx.hasQueued()).as("closed").isFalse();
            }
        }
    }

    @Test
    void closeWakesAReaderBlockedInReceive() throws Exception {
        Lab.requireRoot("builds a network namespace");
        try (Netns ns = new Netns("lvsd-rawclose")) {
            ns.bridge("lan");
            ns.link("a", "eth0", "lan", "10.97.0.1/24");
            RawIpSocket s = NetNamespace.call(ns.name("a"), () -> RawIpSocket.open(IpFamily.IPV4, VRRP, "eth0",
                    NetworkInterface.getByName("eth0").getIndex(), 0xc0, 60_000));
            CompletableFuture<RawIpSocket.Packet> got = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    got.complete(s.receive());
                } catch (Exception e) {
                    got.completeExceptionally(e);
                }
            }, "raw-reader");
            reader.start();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !got.isDone());
            s.close(); // shutdown(SHUT_RD) wakes it; the descriptor closes as its recvmsg returns
            // Woken, not timed out: the socket's receive timeout is 60 s, so a reader left waiting fails the get.
            assertThat(got.get(5, TimeUnit.SECONDS)).as("no packet, and no error").isNull();
            reader.join(5_000);
            assertThat(reader.isAlive()).as("the reader returned").isFalse();
            assertThat(s.hasQueued()).as("closed").isFalse();
        }
    }
}
