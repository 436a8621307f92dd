package io.lvsd.arp;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.testkit.FakeScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnnouncerTest {
    private static final byte[] MAC = HexFormat.ofDelimiter(":").parseHex("02:00:00:00:00:01");
    private final FakeScheduler clock = new FakeScheduler();
    private final List<String> sent = new ArrayList<>();
    private boolean failing;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Announcer announcer = new Announcer(clock, new Announcer.FrameSink() {
        @Override
        public void send(byte[] frame, int ifindex, String ifname) throws NativeException {
            if (failing) {
                throw new NativeException("sendto(packet on " + ifname + ")", 100, "ENETDOWN", "Network is down");
            }
            int type = ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
            sent.add(ifname + "#" + ifindex + (type == 0x0806 ? " arp" : " na") + " @" + clock.nanoTime() / 1_000_000);
        }

        @Override
        public void close() {
        }
    }, registry);

    private static List<Announcer.Target> targets() {
        return List.of(new Announcer.Target("eth0", 2, MAC, IpAddresses.parse("192.0.2.10")),
                new Announcer.Target("eth0", 2, MAC, IpAddresses.parse("2001:db8::10")));
    }

    @Test
    void burstAtOnceAndAgainAfterTheDelay() {
        announcer.announce("VI_1", targets(), new AnnounceConfig(Duration.ofSeconds(5), 2, Duration.ZERO, 1));
        clock.runDue();
        assertThat(sent).containsExactly("eth0#2 arp @0", "eth0#2 na @0", "eth0#2 arp @0", "eth0#2 na @0");
        sent.clear();
        clock.advance(Duration.ofSeconds(10));
        assertThat(sent).containsExactly("eth0#2 arp @5000", "eth0#2 na @5000", "eth0#2 arp @5000", "eth0#2 na @5000");
        assertThat(registry.counter("lvsd_announcements_sent", "instance", "VI_1", "kind", "garp").count()).isEqualTo(4);
    }

    @Test
    void aRehearsalSendsAndSchedulesNothing() {
        announcer.rehearse("VI_1", targets());
        clock.advance(Duration.ofSeconds(10));
        assertThat(sent).isEmpty();
        assertThat(registry.counter("lvsd_announcements_sent", "instance", "VI_1", "kind", "garp").count()).isZero();
        announcer.announce("VI_1", targets(), new AnnounceConfig(Duration.ZERO, 1, Duration.ZERO, 1));
        assertThat(sent).containsExactly("eth0#2 arp @10000", "eth0#2 na @10000");
    }

    @Test
    void theFirstFrameForEachAddressLeavesBeforeAnnounceReturnsAndTheRestOnTheExecutor() {
        announcer.announce("VI_1", targets(), new AnnounceConfig(Duration.ZERO, 3, Duration.ZERO, 1));
        assertThat(sent).containsExactly("eth0#2 arp @0", "eth0#2 na @0");
        clock.runDue();
        assertThat(sent).hasSize(6);
    }

    @Test
    void refreshRepeatsWhileMasterAndWithdrawStopsEverything() {
        announcer.announce("VI_1", targets().subList(0, 1), new AnnounceConfig(Duration.ofSeconds(5), 1,
                Duration.ofSeconds(2), 1));
        clock.advance(Duration.ofMillis(4_500));
        assertThat(sent).containsExactly("eth0#2 arp @0", "eth0#2 arp @2000", "eth0#2 arp @4000");
        announcer.withdraw("VI_1");
        clock.advance(Duration.ofSeconds(60));
        assertThat(sent).hasSize(3);
        assertThat(clock.pendingDeadlines()).isEmpty();
    }

    @Test
    void anAddressAddedWhileMasterIsAnnouncedAloneAndRefreshedWithTheRest() {
        List<Announcer.Target> all = targets();
        announcer.update("VI_1", all, all.subList(1, 2));
        clock.runDue();
        assertThat(sent).as("not announcing: an update does nothing").isEmpty();
        announcer.announce("VI_1", all.subList(0, 1), new AnnounceConfig(Duration.ofSeconds(5), 1,
                Duration.ofSeconds(20), 1));
        clock.advance(Duration.ofSeconds(6));
        assertThat(sent).containsExactly("eth0#2 arp @0", "eth0#2 arp @5000");
        sent.clear();
        announcer.update("VI_1", all, all.subList(1, 2));
        clock.runDue();
        assertThat(sent).as("only the new address, at once").containsExactly("eth0#2 na @6000");
        clock.advance(Duration.ofSeconds(5));
        assertThat(sent).as("and after the delay").containsExactly("eth0#2 na @6000", "eth0#2 na @11000");
        sent.clear();
        clock.advance(Duration.ofSeconds(20));
        assertThat(sent).as("the refresh covers every address held").containsExactly("eth0#2 arp @26000",
                "eth0#2 na @26000");
        announcer.reannounce("VI_1");
        clock.runDue();
        assertThat(sent).hasSize(4);
    }

    @Test
    void reannounceSendsOneBurstOnlyWhileAnnouncing() {
        announcer.reannounce("VI_1");
        clock.runDue();
        assertThat(sent).isEmpty();
        announcer.announce("VI_1", targets().subList(0, 1), new AnnounceConfig(Duration.ZERO, 3, Duration.ZERO, 1));
        clock.runDue();
        sent.clear();
        announcer.reannounce("VI_1");
        clock.runDue();
        assertThat(sent).hasSize(3);
    }

    @Test
    void aFailedSendIsCountedAndTheNextBurstTriesAgain() {
        failing = true;
        announcer.announce("VI_1", targets().subList(0, 1), new AnnounceConfig(Duration.ofSeconds(1), 1, Duration.ZERO, 1));
        clock.runDue();
        assertThat(registry.counter("lvsd_announcement_errors", "instance", "VI_1", "kind", "garp").count()).isEqualTo(1);
        failing = false;
        clock.advance(Duration.ofSeconds(1));
        assertThat(sent).containsExactly("eth0#2 arp @1000");
    }
}
