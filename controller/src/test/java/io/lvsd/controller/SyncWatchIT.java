package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.CatchUp;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.SyncTraffic;
import io.lvsd.sync.SyncWatcher;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code lvsd sync watch} in a namespace hears what a sender in another namespace multicasts to the sync group
 * (224.0.0.81:8848) over a bridge: the kernel's captured message, messages lvsd's codec encodes (IPv6 entries,
 * options, version 0) and a malformed one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SyncWatchIT {
    /** A Linux 6.1 master daemon's message (sync-manager's test capture; SyncCodecTest annotates every field). */
    static final String KERNEL_V1 = "000700e00601000000060024000000830001a90e0050005000000000000003840a630032"
            + "0a6300640a63001500060024000001830004a90e0050005000000000000000780a630032"
            + "0a6300640a63001500060024000000830001a9180050005000000000000003840a630032"
            + "0a6300640a63001500060024000001830004a9180050005000000000000000780a630032"
            + "0a6300640a63001500060024000000830001a9280050005000000000000003840a630032"
            + "0a6300640a63001500060024000001830004a9280050005000000000000000780a630032"
            + "0a6300640a630015";

    Netns ns;

    @BeforeAll
    void topology() throws Exception {
        Lab.requireRoot("network namespaces for the sync group");
        ns = new Netns("lvsd-syncit");
        ns.bridge("br");
        ns.link("s", "eth0", "br", "10.94.0.1/24");
        ns.link("w", "eth0", "br", "10.94.0.2/24");
    }

    @AfterAll
    void cleanup() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void watchPrintsDecodedEntriesAndCountsMalformedOnes() throws Exception {
        SyncMessage v6 = new SyncMessage(1, 9, List.of(new SyncConnection(IpFamily.IPV6, 6,
                SyncConnection.F_MASQ, 1, InetAddress.getByName("2001:db8::50"), 40000, InetAddress.getByName("2001:db8::100"), 443,
                InetAddress.getByName("2001:db8:1::21"), 8443, 0, 300, null, null, null, List.of())));
        SyncMessage v0 = new SyncMessage(0, 3, List.of(SyncConnection.of(17, SyncConnection.F_TUNNEL, 0,
                InetAddress.getByName("10.1.0.7"), 5353, InetAddress.getByName("10.1.0.100"), 53,
                InetAddress.getByName("10.1.0.21"), 53, 0)));
        byte[] kernel = HexFormat.of().parseHex(KERNEL_V1);
        assertThat(SyncCodec.decode(kernel)).isInstanceOf(SyncCodec.Decoded.class);
        try (LvsdProcess w = LvsdProcess.startIn(ns.name("w"), Map.of(), "sync", "watch", "-i", "eth0", "--count",
                "3", "--seconds", "60", "--interval", "1")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> w.output().contains("listening on 224.0.0.81:8848"));
            NetNamespace.call(ns.name("s"), () -> {
                try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
                    InetSocketAddress group = new InetSocketAddress("224.0.0.81", 8848);
                    ch.send(ByteBuffer.wrap(new byte[] {0, 1, 0, 9}), group); // size says 9, datagram has 4
                    ch.send(ByteBuffer.wrap(kernel), group);
                    ch.send(ByteBuffer.wrap(SyncCodec.encode(v6)), group);
                    ch.send(ByteBuffer.wrap(SyncCodec.encode(v0)), group);
                }
                return null;
            });
            assertThat(w.waitFor(60)).as("exit code; output:\n%s", w.output()).isZero();
            String out = w.output();
            assertThat(out).contains("10.94.0.1 undecodable (size_mismatch): size: 9 (expected: the datagram's 4)");
            assertThat(out).contains("10.94.0.1 syncid 7 v1: TCP 10.99.0.50:43278 -> 10.99.0.100:80 -> "
                    + "10.99.0.21:80 Route ESTABLISHED flags 0x83 900s");
            assertThat(out).contains("syncid 9 v1: TCP [2001:db8::50]:40000 -> [2001:db8::100]:443 -> [2001:db8:1::21]:8443 Masq"
                    + " ESTABLISHED flags 0x0 300s");
            assertThat(out).contains("syncid 3 v0: UDP 10.1.0.7:5353 -> 10.1.0.100:53 -> 10.1.0.21:53 Tunnel UDP");
            assertThat(out).contains("total 10.94.0.1: 3 messages, 8 entries, 1 undecodable");
        }
    }

    /**
     * The 2,000 hostile datagrams (seeded): the kernel's message and lvsd's encodings with a few edits each, and noise;
     * without lvsd's catch-up requests (another test's), and without those for sync id {@code excludeSyncId} (a
     * kernel backup daemon with that id would take them in).
     */
    static List<byte[]> hostile(int excludeSyncId) throws Exception {
        byte[] kernel = HexFormat.of().parseHex(KERNEL_V1);
        SyncMessage v0 = new SyncMessage(0, 3, List.of(SyncConnection.of(17, SyncConnection.F_TUNNEL, 0,
                InetAddress.getByName("10.1.0.7"), 5353, InetAddress.getByName("10.1.0.100"), 53,
                InetAddress.getByName("10.1.0.21"), 53, 0)));
        List<byte[]> hostile = new java.util.ArrayList<>();
        io.lvsd.testkit.Fuzz.forAll(2_000, io.lvsd.testkit.Fuzz.mutated(List.of(kernel, SyncCodec.encode(v0))),
                b -> {
                    if (!(SyncCodec.decode(b) instanceof SyncCodec.Control)
                            && !(b.length > 1 && (b[1] & 0xff) == excludeSyncId)) {
                        hostile.add(b);
                    }
                });
        return hostile;
    }

    /**
     * 2,000 hostile datagrams (the kernel's message and lvsd's encodings with a few edits each, and noise; seeded, see
     * {@link io.lvsd.testkit.Fuzz}) at 500 a second, then a good one: the watcher lives through them, counts each that
     * does not decode as undecodable and decodes the rest. The daemon's own listener (the fail-back gate's) is the
     * same {@link SyncWatcher}.
     */
    @Test
    void aFloodOfMalformedDatagramsIsCountedAndTheWatcherLives() throws Exception {
        byte[] kernel = HexFormat.of().parseHex(KERNEL_V1);
        List<byte[]> hostile = hostile(-1);
        long malformed = hostile.stream().filter(b -> SyncCodec.decode(b) instanceof SyncCodec.Malformed).count();
        long decoded = hostile.size() - malformed;
        assertThat(malformed).as("most of them are malformed").isGreaterThan(1_000);
        try (LvsdProcess w = LvsdProcess.startIn(ns.name("w"), Map.of(), "sync", "watch", "-i", "eth0", "--quiet",
                "--count", Long.toString(decoded + 1), "--seconds", "90", "--interval", "5")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> w.output().contains("listening on 224.0.0.81:8848"));
            NetNamespace.call(ns.name("s"), () -> {
                try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
                    InetSocketAddress group = new InetSocketAddress("224.0.0.81", 8848);
                    long next = System.nanoTime();
                    for (byte[] b : hostile) { // bounded: 2,000 datagrams, 500 a second
                        ch.send(ByteBuffer.wrap(b), group);
                        next += 2_000_000L;
                        java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
                    }
                    ch.send(ByteBuffer.wrap(kernel), group);
                }
                return null;
            });
            assertThat(w.waitFor(90)).as("exit code; output:\n%s", w.output()).isZero();
            System.out.printf("sync watch: %d hostile datagrams, %d malformed and counted, %d decoded%n",
                    hostile.size(), malformed, decoded);
            assertThat(w.output()).contains("total 10.94.0.1: " + (decoded + 1) + " messages, ")
                    .contains(", " + malformed + " undecodable").contains("dropped unread by the kernel: 0 ")
                    .doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    /** What a watcher's listener was handed: "from kind nonce" for catch-ups, "from message n" otherwise. */
    static SyncWatcher.Listener recorder(List<String> heard) {
        return new SyncWatcher.Listener() {
            @Override
            public void message(InetAddress from, SyncMessage m) {
                heard.add(from.getHostAddress() + " message " + m.connections().size());
            }

            @Override
            public void malformed(InetAddress from, SyncCodec.Error error, String detail) {
                heard.add(from.getHostAddress() + " malformed " + detail);
            }

            @Override
            public void control(InetAddress from, CatchUp c) {
                heard.add(from.getHostAddress() + " " + c.kind() + " " + c.nonce());
            }
        };
    }

    @Test
    void catchUpDatagramsGoToTheGroupFromTheInterfaceAddressAndNotBackToTheSender() throws Exception {
        List<String> atS = new CopyOnWriteArrayList<>();
        List<String> atW = new CopyOnWriteArrayList<>();
        InetAddress group = InetAddress.getByName(SyncWatcher.DEFAULT_GROUP);
        try (SyncWatcher s = NetNamespace.call(ns.name("s"), () -> SyncWatcher.open("eth0", group, 8848,
                new SyncTraffic(new SimpleMeterRegistry(), System::nanoTime), recorder(atS)));
             SyncWatcher w = NetNamespace.call(ns.name("w"), () -> SyncWatcher.open("eth0", group, 8848,
                     new SyncTraffic(new SimpleMeterRegistry(), System::nanoTime), recorder(atW)))) {
            assertThat(s.mtu()).isEqualTo(1500);
            s.send(SyncCodec.encode(CatchUp.request(7, 11)));
            w.send(SyncCodec.encode(CatchUp.accepted(7, 11)));
            w.send(SyncCodec.encode(new SyncMessage(1, 7, List.of(SyncConnection.of(6, SyncConnection.F_DROUTE, 1,
                    InetAddress.getByName("10.94.0.50"), 40000, InetAddress.getByName("10.94.0.100"), 80,
                    InetAddress.getByName("10.94.0.21"), 80, 900)))));
            w.send(SyncCodec.encode(CatchUp.done(7, 11, 1)));
            await().atMost(Duration.ofSeconds(10)).until(() -> atS.size() >= 3 && !atW.isEmpty());
            assertThat(atW).containsExactly("10.94.0.1 REQUEST 11");
            assertThat(atS).containsExactly("10.94.0.2 ACCEPTED 11", "10.94.0.2 message 1", "10.94.0.2 DONE 11");
        }
    }

    /**
     * A watcher that cannot keep up: its listener is held while 6,000 datagrams arrive (as fast as one sender sends;
     * bounded by the count), so the socket's queue overflows. Every datagram is then either handled or counted as
     * dropped by the kernel, none is lost from the count.
     */
    @Test
    void whatTheKernelDropsOnAFullQueueIsCounted() throws Exception {
        byte[] kernel = HexFormat.of().parseHex(KERNEL_V1);
        int sent = 6_000;
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong heard = new java.util.concurrent.atomic.AtomicLong();
        SyncWatcher.Listener slow = new SyncWatcher.Listener() {
            @Override
            public void message(InetAddress from, SyncMessage m) {
                try {
                    release.await(60, java.util.concurrent.TimeUnit.SECONDS); // a stuck reader, for this test only
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                heard.incrementAndGet();
            }

            @Override
            public void malformed(InetAddress from, SyncCodec.Error error, String detail) {
                heard.incrementAndGet();
            }
        };
        SyncTraffic traffic = new SyncTraffic(new SimpleMeterRegistry(), System::nanoTime);
        InetAddress group = InetAddress.getByName(SyncWatcher.DEFAULT_GROUP);
        try (SyncWatcher w = NetNamespace.call(ns.name("w"), () -> SyncWatcher.open("eth0", group, 8848, traffic,
                slow))) {
            NetNamespace.call(ns.name("s"), () -> {
                try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
                    InetSocketAddress to = new InetSocketAddress("224.0.0.81", 8848);
                    for (int i = 0; i < sent; i++) {
                        ch.send(ByteBuffer.wrap(kernel), to);
                    }
                }
                return null;
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> traffic.dropped() > 0);
            release.countDown();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> heard.get() + traffic.dropped() >= sent);
            System.out.printf("sync watcher with a stuck reader: %d datagrams, %d handled, %d dropped by the kernel "
                    + "and counted%n", sent, heard.get(), traffic.dropped());
            assertThat(heard.get() + traffic.dropped()).as("handled + counted as dropped").isEqualTo(sent);
            assertThat(traffic.totalMessages()).isEqualTo(heard.get());
        }
        assertThat(traffic.dropped()).as("kept after the watcher closed").isPositive();
    }
}
