package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.vrrp.InstanceStatus;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpHooks;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress;
import io.lvsd.vrrp.VrrpState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The VRRP runtime itself (sockets, VIPs, tracking, sync groups, reloads) against the in-memory kernel, on a fake
 * clock: no root, no sleeps. The peer's adverts are delivered by the test; what lvsd sends, adds and removes is read
 * back from the fake kernel.
 */
class VrrpRuntimeFakeKernelTest {
    static final long MS = 1_000_000L;
    static final InetAddress ME = IpAddresses.parse("10.0.0.11");
    static final InetAddress PEER = IpAddresses.parse("10.0.0.12");
    static final InetAddress GROUP = IpAddresses.parse("224.0.0.18");
    static final String VIP = "10.0.0.100/24";
    static final String VIP2 = "10.0.0.101/24";

    final FakeVrrpKernel kernel = new FakeVrrpKernel().link(2, "eth0", "10.0.0.11/24").link(3, "eth1", "10.1.0.11/24");
    final FakeVrrpExecutors clock = new FakeVrrpExecutors();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<String> events = new ArrayList<>();
    /** Runs when the runtime hands a takeover's addresses to be announced (a test makes it take time). */
    Runnable onAnnounce = () -> { };
    VrrpRuntime runtime;

    final VrrpHooks hooks = new VrrpHooks() {
        @Override
        public void announce(String instance, List<Announce> targets) {
            onAnnounce.run();
            events.add("announce " + instance + " " + addresses(targets));
        }

        @Override
        public void addressesChanged(String instance, List<Announce> all, List<Announce> added) {
            events.add("announce-added " + instance + " " + addresses(added) + " of " + addresses(all));
        }

        @Override
        public void reannounce(String instance) {
            events.add("reannounce " + instance);
        }

        @Override
        public void withdraw(String instance) {
            events.add("withdraw " + instance);
        }

        @Override
        public void transition(String instance, VrrpState from, VrrpState to, String reason) {
            events.add(instance + " " + from + " -> " + to);
        }

        private List<String> addresses(List<Announce> t) {
            return t.stream().map(a -> IpAddresses.text(a.address())).toList();
        }
    };

    @BeforeEach
    void runtime() {
        runtime = new VrrpRuntime(hooks, registry, null, Duration.ofSeconds(1), kernel, clock);
    }

    static VrrpInstanceConfig instance(String name, int vrid, int priority, int version, Duration interval,
                                       String password, String... vips) {
        List<VirtualAddress> v = new ArrayList<>();
        for (String a : vips) {
            v.add(new VirtualAddress(IpPrefix.parse(a), null));
        }
        return new VrrpInstanceConfig(name, "eth0", vrid, priority, version, interval, true, Duration.ZERO, null,
                List.of(), true, 0, password, v, true, VrrpInstanceConfig.Track.none(), NotifyCommands.none());
    }

    static VrrpInstanceConfig vi1(int priority, String... vips) {
        return instance("VI_1", 51, priority, 3, Duration.ofSeconds(1), null, vips);
    }

    static VrrpConfig config(VrrpInstanceConfig... instances) {
        return config(Map.of(), instances);
    }

    static VrrpConfig config(Map<String, SyncGroupConfig> groups, VrrpInstanceConfig... instances) {
        Map<String, VrrpInstanceConfig> m = new LinkedHashMap<>();
        for (VrrpInstanceConfig i : instances) {
            m.put(i.name(), i);
        }
        return new VrrpConfig(m, groups, Map.of());
    }

    /** The peer's advert for {@code vrid}, received now. */
    void peerAdvert(int vrid, int priority, int version, int interval, String password, String... vips) {
        List<InetAddress> a = new ArrayList<>();
        for (String v : vips) {
            a.add(IpPrefix.parse(v).address());
        }
        VrrpPacket p = new VrrpPacket(version, vrid, priority, interval, a,
                password == null ? 0 : VrrpCodec.AUTH_SIMPLE, password == null ? null : VrrpCodec.password(password));
        kernel.deliver("eth0", IpFamily.IPV4, PEER, GROUP, VrrpCodec.encode(p, PEER, GROUP, true), clock.nanoTime());
        clock.runDue();
    }

    /** A v3 peer master at priority 200, advertising every second for {@code seconds}. */
    void peerMaster(int vrid, int seconds, String... vips) {
        for (int s = 0; s < seconds; s++) {
            peerAdvert(vrid, 200, 3, 100, null, vips);
            clock.advance(1_000 * MS);
        }
    }

    String state(String instance) {
        return runtime.status().stream().filter(s -> s.name().equals(instance)).map(InstanceStatus::state)
                .findFirst().orElse(null);
    }

    List<FakeVrrpKernel.Sent> sentSince(int from) {
        return kernel.sent.subList(from, kernel.sent.size());
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    void start(VrrpConfig c) throws Exception {
        runtime.start(c);
        clock.runDue();
    }

    /** Starts VI_1 with {@code vips} and lets it become master (no peer: Master_Down_Interval runs out). */
    void master(VrrpInstanceConfig c) throws Exception {
        start(config(c));
        clock.advance(4_000 * MS);
        assertThat(state(c.name())).isEqualTo("MASTER");
    }

    // ---- real-time scheduling

    static VrrpConfig realtime(VrrpConfig c, int priority) {
        return new VrrpConfig(c.instances(), c.syncGroups(), c.trackScripts(), priority);
    }

    double realtimeThreads() {
        return registry.get("lvsd.vrrp.realtime.threads").gauge().value();
    }

    /** {@link #peerAdvert} delivered on {@code reader}, as the real kernel's reader thread delivers it. */
    void peerAdvertFrom(java.util.concurrent.ExecutorService reader) throws Exception {
        VrrpPacket p = new VrrpPacket(3, 51, 200, 100, List.of(IpPrefix.parse(VIP).address()), 0, null);
        reader.submit(() -> kernel.deliver("eth0", IpFamily.IPV4, PEER, GROUP, VrrpCodec.encode(p, PEER, GROUP, true),
                clock.nanoTime())).get();
        clock.runDue();
    }

    static java.util.concurrent.ExecutorService reader() {
        return java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "rx"));
    }

    @Test
    void theVrrpThreadsRunAtTheConfiguredRealtimePriorityAndAReloadChangesIt() throws Exception {
        String loop = Thread.currentThread().getName(); // the fake executors run the loop and io here
        java.util.concurrent.ExecutorService rx = reader();
        start(realtime(config(vi1(100, VIP)), 10));
        assertThat(kernel.scheduling).containsOnly(Map.entry("VM Thread", 10), Map.entry(loop, 10));
        peerAdvertFrom(rx);
        assertThat(kernel.scheduling).as("the reader took it at its packet").containsEntry("rx", 10);
        assertThat(realtimeThreads()).as("loop, reader, the JVM's VM Thread").isEqualTo(3);
        assertThat(state("VI_1")).isEqualTo("BACKUP");

        runtime.reload(realtime(config(vi1(100, VIP)), 0), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(kernel.scheduling).containsEntry(loop, 0).containsEntry("VM Thread", 0).containsEntry("rx", 10);
        peerAdvertFrom(rx);
        assertThat(kernel.scheduling).containsEntry("rx", 0);
        assertThat(realtimeThreads()).isZero();
        assertThat(state("VI_1")).as("no state change").isEqualTo("BACKUP");
        rx.shutdown();
    }

    @Test
    void aStoppedRuntimeLeavesTheJvmAtTheOrdinaryPolicy() throws Exception {
        start(realtime(config(vi1(100, VIP)), 10));
        assertThat(kernel.scheduling).containsEntry("VM Thread", 10);
        runtime.stop(Duration.ofSeconds(1));
        assertThat(kernel.scheduling).containsEntry("VM Thread", 0);
        assertThat(registry.find("lvsd.vrrp.realtime.threads").gauge()).isNull();
    }

    @Test
    void aRefusedRealtimePriorityLeavesVrrpRunningAtTheOrdinaryPolicy() throws Exception {
        kernel.refuseRealtime = true;
        java.util.concurrent.ExecutorService rx = reader();
        start(realtime(config(vi1(100, VIP)), 10));
        peerAdvertFrom(rx);
        rx.shutdown();
        assertThat(kernel.scheduling).isEmpty();
        assertThat(realtimeThreads()).isZero();
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        clock.advance(4_000 * MS);
        assertThat(state("VI_1")).as("the instance works without it").isEqualTo("MASTER");
    }

    // ---- takeover

    @Test
    void aBackupTakesOverWhenTheMastersAdvertsStop() throws Exception {
        start(config(vi1(100, VIP)));
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        assertThat(kernel.socket("eth0", IpFamily.IPV4).groups).containsExactly(GROUP);
        peerMaster(51, 10, VIP);
        assertThat(state("VI_1")).as("adverts every second keep it backup").isEqualTo("BACKUP");
        assertThat(kernel.sent).isEmpty();
        assertThat(kernel.addressesOn("eth0")).containsExactly("10.0.0.11/24");
        assertThat(kernel.rehearsals).as("the takeover was rehearsed once").isEqualTo(1);
        int prepared = kernel.socket("eth0", IpFamily.IPV4).prepares;
        assertThat(prepared).as("the backup's first advert was built when its source became known").isEqualTo(1);
        // The adverts stop: Master_Down_Interval = 3 s + Skew_Time (156/256 s) after the last one.
        long last = clock.nanoTime() - 1_000 * MS;
        clock.advance(2_600 * MS);
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        clock.advance(100 * MS);
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(kernel.addressesOn("eth0")).containsExactly("10.0.0.11/24", VIP);
        assertThat(kernel.requests).containsExactly("add eth0 " + VIP + " eth0:vrrp51");
        assertThat(kernel.socket("eth0", IpFamily.IPV4).prepares).as("the takeover sent the prepared advert")
                .isEqualTo(prepared);
        assertThat(events).containsSubsequence("VI_1 INIT -> BACKUP", "VI_1 BACKUP -> MASTER",
                "announce VI_1 [10.0.0.100]");
        FakeVrrpKernel.Sent advert = kernel.sent.get(0);
        assertThat(advert.source()).isEqualTo(ME);
        assertThat(advert.destination()).isEqualTo(GROUP);
        assertThat(advert.packet().priority()).isEqualTo(100);
        assertThat(advert.packet().addresses()).containsExactly(IpAddresses.parse("10.0.0.100"));
        assertThat(runtime.status().get(0).lastTransition())
                .isEqualTo(clock.now().minusNanos(clock.nanoTime() - last - 3_609_375_000L).toString());
        assertThat(counter("lvsd.vrrp.transitions", "instance", "VI_1", "from", "BACKUP", "to", "MASTER"))
                .isEqualTo(1);
    }

    @Test
    void aTakeoverIsTimedInPhasesFromTheLastAdvertToTheFirstAnnouncement() throws Exception {
        start(config(vi1(100, VIP)));
        peerMaster(51, 3, VIP);
        kernel.onAddAddress = () -> clock.busy(2 * MS);
        onAnnounce = () -> clock.busy(MS);
        clock.advance(3_000 * MS);
        assertThat(state("VI_1")).isEqualTo("MASTER");

        // The last advert came 1 s before the advance; Master_Down_Interval (3 s + Skew_Time) after it the timer ran
        // out, and the loop acted at once (the fake clock's busy wait ends exactly at the deadline).
        assertThat(takeoverMillis("master_down")).isEqualTo(3_609.375);
        assertThat(takeoverMillis("decision")).isZero();
        assertThat(takeoverMillis("vips")).isEqualTo(2.0);
        assertThat(takeoverMillis("announce")).isEqualTo(1.0);
        assertThat(takeoverMillis("total")).isEqualTo(3_612.375);
        assertThat(registry.find("lvsd.vrrp.takeover").tags("instance", "VI_1").timers()).hasSize(5)
                .allMatch(t -> t.count() == 1);
    }

    @Test
    void aTakeoverWithoutAnAdvertBeforeItHasNoMasterDownPhase() throws Exception {
        master(vi1(100, VIP));
        assertThat(registry.find("lvsd.vrrp.takeover").tags("phase", "master_down").timer().count()).isZero();
        assertThat(registry.find("lvsd.vrrp.takeover").tags("phase", "total").timer().count()).isEqualTo(1);
        assertThat(registry.find("lvsd.vrrp.takeover").tags("phase", "decision").timer().count()).isEqualTo(1);
    }

    double takeoverMillis(String phase) {
        var t = registry.find("lvsd.vrrp.takeover").tags("instance", "VI_1", "phase", phase).timer();
        assertThat(t).as("timer of phase " + phase).isNotNull();
        assertThat(t.count()).as(phase + " recorded once").isEqualTo(1);
        return t.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) / 1e6;
    }

    @Test
    void aSlowStartDoesNotShortenTheFirstMasterDownInterval() throws Exception {
        // On a slow host (the lab VM) building the instance and opening its socket took a second: the backup must
        // still wait a whole Master_Down_Interval from when it could first hear the master, or a returning
        // director takes over before it has heard the current master's adverts.
        kernel.onOpenSocket = () -> clock.busy(1_000 * MS);
        long t0 = clock.nanoTime();
        start(config(vi1(100, VIP)));
        clock.advance(t0 + 1_000 * MS + 3_600 * MS - clock.nanoTime());
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        clock.advance(10 * MS);
        assertThat(state("VI_1")).isEqualTo("MASTER");
    }

    @Test
    void aHigherPriorityAdvertMakesAMasterYieldAndRemoveItsVips() throws Exception {
        master(vi1(100, VIP));
        int before = kernel.sent.size();
        peerAdvert(51, 200, 3, 100, null, VIP);
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        assertThat(kernel.addressesOn("eth0")).containsExactly("10.0.0.11/24");
        assertThat(events).contains("withdraw VI_1");
        clock.advance(2_000 * MS);
        assertThat(sentSince(before)).as("a backup is silent").isEmpty();
    }

    @Test
    void aVipDeletedWhileMasterIsPutBackAndCounted() throws Exception {
        master(vi1(100, VIP));
        kernel.removeAddress("eth0", VIP);
        clock.runDue();
        assertThat(kernel.addressesOn("eth0")).contains(VIP);
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(runtime.status().get(0).addressesRestored()).isEqualTo(1);
    }

    @Test
    void linkDownFaultsTheMasterAndLinkUpRejoinsAsBackup() throws Exception {
        master(vi1(100, VIP));
        int before = kernel.sent.size();
        kernel.setLink("eth0", false);
        clock.runDue();
        assertThat(state("VI_1")).isEqualTo("FAULT");
        assertThat(runtime.status().get(0).faultReason()).isEqualTo("interface eth0 is down");
        assertThat(sentSince(before)).singleElement().satisfies(s -> assertThat(s.packet().priority())
                .as("priority 0: the backup takes over after Skew_Time").isZero());
        assertThat(kernel.addressesOn("eth0")).doesNotContain(VIP);
        kernel.setLink("eth0", true);
        clock.runDue();
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        clock.advance(4_000 * MS);
        assertThat(state("VI_1")).isEqualTo("MASTER");
    }

    // ---- receive checks

    @Test
    void aFloodOfJunkDoesNotDelayATakeover() throws Exception {
        start(config(vi1(100, VIP)));
        peerMaster(51, 3, VIP);
        long lastAdvert = clock.nanoTime() - 1_000 * MS;
        // The master dies; a flood goes on: a packet with a bad checksum every millisecond, so that the socket's
        // queue is never empty (a real flood's), from a stranger, for our VRID.
        VrrpPacket p = new VrrpPacket(3, 51, 254, 100, List.of(IpPrefix.parse(VIP).address()), 0, null);
        InetAddress stranger = IpAddresses.parse("10.0.0.66");
        byte[] junk = VrrpCodec.encode(p, stranger, GROUP, true);
        junk[7] ^= 1;
        kernel.socket("eth0", IpFamily.IPV4).queued = true;
        int sent = 0;
        while (!"MASTER".equals(state("VI_1")) && sent < 10_000) {
            kernel.deliver("eth0", IpFamily.IPV4, stranger, GROUP, junk, clock.nanoTime());
            sent++;
            clock.advance(MS);
        }
        long tookNanos = clock.nanoTime() - lastAdvert;
        assertThat(state("VI_1")).isEqualTo("MASTER");
        // Master_Down_Interval is 3 s + Skew_Time (156/256 s): the takeover comes then, not one more interval later.
        assertThat(tookNanos).as("last advert to takeover, under the flood").isBetween(3_609 * MS, 3_620 * MS);
        assertThat(runtime.status().get(0).drops()).containsEntry("checksum", (long) sent);
    }

    static VrrpInstanceConfig unicast(boolean peersCheck, int minTtl) {
        VrrpInstanceConfig c = vi1(100, VIP);
        return new VrrpInstanceConfig(c.name(), c.interfaceName(), c.virtualRouterId(), c.priority(), c.version(),
                c.advertInterval(), c.preempt(), c.preemptDelay(), ME, List.of(PEER), peersCheck, minTtl, null,
                c.virtualAddresses(), true, c.track(), c.notifyCommands());
    }

    /** A unicast advert from {@code from} to this director, arriving with {@code ttl}. */
    void unicastAdvert(InetAddress from, int ttl, int priority) {
        VrrpPacket p = new VrrpPacket(3, 51, priority, 100, List.of(IpPrefix.parse(VIP).address()), 0, null);
        kernel.deliver("eth0", IpFamily.IPV4, from, ME, ttl, VrrpCodec.encode(p, from, ME, true), clock.nanoTime());
        clock.runDue();
    }

    @Test
    void unicastAdvertsFromOutsideThePeersAreDroppedAndCounted() throws Exception {
        master(unicast(true, 0));
        InetAddress stranger = IpAddresses.parse("10.0.0.66");
        for (int s = 0; s < 5; s++) {
            unicastAdvert(stranger, 255, 254);
            clock.advance(1_000 * MS);
        }
        assertThat(state("VI_1")).as("a stranger's priority 254 takes nothing").isEqualTo("MASTER");
        assertThat(runtime.status().get(0).drops()).containsEntry("unicast_source", 5L);
        assertThat(counter("lvsd.vrrp.drops", "instance", "VI_1", "reason", "unicast_source")).isEqualTo(5);
        unicastAdvert(PEER, 64, 200);
        assertThat(state("VI_1")).as("the peer, from a routed network: no TTL rule by default").isEqualTo("BACKUP");
    }

    @Test
    void withTheCheckOffAnySourceCounts() throws Exception {
        master(unicast(false, 0));
        unicastAdvert(IpAddresses.parse("10.0.0.66"), 255, 254);
        assertThat(state("VI_1")).as("unicast-peers-check = false: keepalived's behaviour without "
                + "vrrp_check_unicast_src").isEqualTo("BACKUP");
    }

    @Test
    void unicastMinTtlDropsAdvertsThatCrossedARouter() throws Exception {
        master(unicast(true, 255));
        unicastAdvert(PEER, 254, 200);
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(runtime.status().get(0).drops()).containsEntry("ip_ttl", 1L);
        unicastAdvert(PEER, 255, 200);
        assertThat(state("VI_1")).isEqualTo("BACKUP");
    }

    @Test
    void unicastChecksChangeAtAReloadWithoutAStateChange() throws Exception {
        master(unicast(true, 0));
        runtime.reload(config(unicast(false, 0)), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(state("VI_1")).isEqualTo("MASTER");
        unicastAdvert(IpAddresses.parse("10.0.0.66"), 255, 254);
        assertThat(state("VI_1")).as("the reloaded setting is in force").isEqualTo("BACKUP");
    }

    @Test
    void aV2AdvertWithAnotherIntervalIsDroppedAndDoesNotHoldTheBackup() throws Exception {
        start(config(instance("VI_1", 51, 100, 2, Duration.ofSeconds(1), "secret", VIP)));
        for (int s = 0; s < 5; s++) {
            peerAdvert(51, 200, 2, 2, "secret", VIP); // every second, but it says 2 s
            clock.advance(1_000 * MS);
        }
        assertThat(state("VI_1")).as("RFC 3768 §7.1: the master's adverts do not count").isEqualTo("MASTER");
        assertThat(runtime.status().get(0).drops()).containsEntry("advertise_interval", 5L);
        peerAdvert(51, 200, 2, 1, "wrong", VIP);
        assertThat(runtime.status().get(0).drops()).containsEntry("auth_failure", 1L);
    }

    @Test
    void aV2IntervalChangeRolledOutBackupFirstCausesNoTakeover() throws Exception {
        start(config(instance("VI_1", 51, 100, 2, Duration.ofSeconds(3), "secret", VIP)));
        for (int s = 0; s < 3; s++) {
            peerAdvert(51, 200, 2, 3, "secret", VIP);
            clock.advance(3_000 * MS);
        }
        // This backup is reloaded first, to 1 s; the master still sends every 3 s.
        runtime.reload(config(instance("VI_1", 51, 100, 2, Duration.ofSeconds(1), "secret", VIP)), null,
                Duration.ofSeconds(1));
        clock.runDue();
        for (int s = 0; s < 10; s++) {
            peerAdvert(51, 200, 2, 3, "secret", VIP);
            clock.advance(3_000 * MS);
        }
        assertThat(state("VI_1")).as("timed by the 3 s it accepts, not its own 1 s").isEqualTo("BACKUP");
        assertThat(runtime.status().get(0).drops()).containsEntry("advertise_interval", 0L);
        // The master is reloaded: 1 s from now on; the previous value is no longer accepted.
        peerAdvert(51, 200, 2, 1, "secret", VIP);
        clock.advance(1_000 * MS);
        peerAdvert(51, 200, 2, 3, "secret", VIP);
        assertThat(runtime.status().get(0).drops()).containsEntry("advertise_interval", 1L);
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        assertThat(events).doesNotContain("VI_1 BACKUP -> MASTER");
    }

    // ---- reloads

    @Test
    void aReloadOnAMasterChangesPriorityAndVipsInPlace() throws Exception {
        master(vi1(100, VIP));
        kernel.requests.clear();
        events.clear();
        int before = kernel.sent.size();
        runtime.reload(config(vi1(150, VIP, VIP2)), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(events).containsExactly("announce-added VI_1 [10.0.0.101] of [10.0.0.100, 10.0.0.101]");
        assertThat(kernel.requests).containsExactly("add eth0 " + VIP2 + " eth0:vrrp51");
        assertThat(sentSince(before)).as("the new priority and address list go out at once").first()
                .satisfies(s -> {
                    assertThat(s.packet().priority()).isEqualTo(150);
                    assertThat(s.packet().addresses()).containsExactly(IpAddresses.parse("10.0.0.100"),
                            IpAddresses.parse("10.0.0.101"));
                });
        // A prefix length changed and the first VIP removed: just those two.
        kernel.requests.clear();
        runtime.reload(config(vi1(150, "10.0.0.101/25")), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(kernel.requests).containsExactly("del eth0 " + VIP, "del eth0 " + VIP2,
                "add eth0 10.0.0.101/25 eth0:vrrp51");
        assertThat(kernel.addressesOn("eth0")).containsExactly("10.0.0.11/24", "10.0.0.101/25");
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(events).noneMatch(e -> e.contains("->"));
    }

    @Test
    void aReloadOnABackupTouchesNoAddressAndTheNewIntervalWaitsForTheMaster() throws Exception {
        start(config(vi1(100, VIP)));
        peerMaster(51, 3, VIP);
        runtime.reload(config(instance("VI_1", 51, 120, 3, Duration.ofMillis(300), null, VIP, VIP2)), null,
                Duration.ofSeconds(1));
        clock.runDue();
        peerMaster(51, 5, VIP);
        assertThat(state("VI_1")).isEqualTo("BACKUP");
        assertThat(kernel.requests).isEmpty();
        assertThat(kernel.sent).isEmpty();
        assertThat(runtime.status().get(0).effectivePriority()).isEqualTo(120);
    }

    @Test
    void aMasterWhosePriorityDropsBelowThePeersHandsOverWhenThePeerPreempts() throws Exception {
        master(vi1(200, VIP));
        int before = kernel.sent.size();
        runtime.reload(config(vi1(50, VIP)), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(sentSince(before)).first().satisfies(s -> assertThat(s.packet().priority()).isEqualTo(50));
        assertThat(state("VI_1")).as("the protocol decides, not the reload").isEqualTo("MASTER");
        peerAdvert(51, 100, 3, 100, null, VIP); // the peer, now higher, preempts
        assertThat(state("VI_1")).isEqualTo("BACKUP");
    }

    @Test
    void anIdentityChangeRestartsThatInstanceAloneAndAnAddedOneStarts() throws Exception {
        VrrpInstanceConfig vi2 = instance("VI_2", 52, 100, 3, Duration.ofSeconds(1), null, "10.0.0.102/24");
        start(config(vi1(100, VIP), vi2));
        clock.advance(4_000 * MS);
        assertThat(state("VI_1")).isEqualTo("MASTER");
        assertThat(state("VI_2")).isEqualTo("MASTER");
        events.clear();
        VrrpInstanceConfig vi3 = instance("VI_3", 53, 100, 3, Duration.ofSeconds(1), null, "10.0.0.103/24");
        runtime.reload(config(vi1(100, VIP), instance("VI_2", 62, 100, 3, Duration.ofSeconds(1), null,
                "10.0.0.102/24"), vi3), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(events).containsSubsequence("VI_2 MASTER -> INIT", "VI_2 INIT -> BACKUP")
                .contains("VI_3 INIT -> BACKUP").noneMatch(e -> e.startsWith("VI_1 "));
        clock.advance(4_000 * MS);
        assertThat(state("VI_2")).isEqualTo("MASTER");
        assertThat(kernel.sent.stream().filter(s -> s.packet().vrid() == 62)).isNotEmpty();
        runtime.reload(config(vi1(100, VIP)), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(runtime.status()).extracting(InstanceStatus::name).containsExactly("VI_1");
        assertThat(kernel.addressesOn("eth0")).containsExactly("10.0.0.11/24", VIP);
    }

    // ---- sync groups

    @Test
    void aSyncGroupMovesTogetherAndOneCreatedAtAReloadRestartsNoMember() throws Exception {
        VrrpInstanceConfig a = instance("A", 51, 100, 3, Duration.ofSeconds(1), null, VIP);
        VrrpInstanceConfig b = instance("B", 52, 100, 3, Duration.ofSeconds(1), null, "10.0.0.102/24");
        start(config(a, b));
        for (int s = 0; s < 3; s++) {
            peerAdvert(51, 200, 3, 100, null, VIP);
            peerAdvert(52, 200, 3, 100, null, "10.0.0.102/24");
            clock.advance(1_000 * MS);
        }
        SyncGroupConfig g = new SyncGroupConfig("G", List.of("A", "B"), NotifyCommands.none());
        events.clear();
        runtime.reload(config(Map.of("G", g), a, b), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(events).as("no member restarted").isEmpty();
        // A's master goes quiet; B's master is still heard: the group holds A back.
        for (int s = 0; s < 6; s++) {
            peerAdvert(52, 200, 3, 100, null, "10.0.0.102/24");
            clock.advance(1_000 * MS);
        }
        assertThat(state("A")).isEqualTo("BACKUP");
        assertThat(state("B")).isEqualTo("BACKUP");
        // Both quiet: the group goes master together.
        clock.advance(4_000 * MS);
        assertThat(state("A")).isEqualTo("MASTER");
        assertThat(state("B")).isEqualTo("MASTER");
        // A fault in one faults both.
        kernel.setLink("eth0", false);
        clock.runDue();
        assertThat(state("A")).isEqualTo("FAULT");
        assertThat(state("B")).isEqualTo("FAULT");
    }

    // ---- the kernel's socket filter

    @Test
    void whatTheKernelKeepsOutIsCountedByReasonAndNeverReachesTheLoop() throws Exception {
        master(unicast(true, 0));
        long handedToTheLoop = registry.find("lvsd.vrrp.receive.wait").timer().count();
        InetAddress stranger = IpAddresses.parse("10.0.0.66");
        VrrpPacket foreign = new VrrpPacket(3, 99, 254, 100, List.of(IpPrefix.parse(VIP).address()), 0, null);
        for (int n = 0; n < 50; n++) {
            unicastAdvert(stranger, 255, 254);
            kernel.deliver("eth0", IpFamily.IPV4, PEER, ME, VrrpCodec.encode(foreign, PEER, ME, true), clock.nanoTime());
        }
        clock.runDue();
        assertThat(kernel.socket("eth0", IpFamily.IPV4).filtered).isEqualTo(100);
        assertThat(registry.find("lvsd.vrrp.receive.wait").timer().count()).as("packets handed to the VRRP loop")
                .isEqualTo(handedToTheLoop);
        assertThat(counter("lvsd.vrrp.drops", "instance", "VI_1", "reason", "unicast_source")).isEqualTo(50);
        assertThat(runtime.status().get(0).drops()).containsEntry("unicast_source", 50L);
        assertThat(counter("lvsd.vrrp.drops", "instance", "", "reason", "vrid")).isEqualTo(50);
        assertThat(counter("lvsd.vrrp.filtered", "socket", "eth0/IPv4")).isEqualTo(100);
        assertThat(state("VI_1")).isEqualTo("MASTER");
        unicastAdvert(PEER, 255, 200);
        assertThat(state("VI_1")).as("the peer's advert still goes through").isEqualTo("BACKUP");
    }

    @Test
    void aClosedChannelTakesItsCounterAlongAndALateReaderRegistersNone() throws Exception {
        master(unicast(true, 0));
        InetAddress stranger = IpAddresses.parse("10.0.0.66");
        unicastAdvert(stranger, 255, 254);
        assertThat(counter("lvsd.vrrp.filtered", "socket", "eth0/IPv4")).isEqualTo(1);
        assertThat(counter("lvsd.vrrp.drops", "instance", "VI_1", "reason", "unicast_source")).isEqualTo(1);
        FakeVrrpKernel.FakeSocket eth0 = kernel.socket("eth0", IpFamily.IPV4);
        // VI_1 gives way to an instance on eth1: it stops, and the channel on eth0 closes.
        VrrpInstanceConfig onEth1 = new VrrpInstanceConfig("VI_9", "eth1", 60, 100, 3, Duration.ofSeconds(1), true,
                Duration.ZERO, null, List.of(), true, 0, null,
                List.of(new VirtualAddress(IpPrefix.parse("10.1.0.100/24"), null)), true,
                VrrpInstanceConfig.Track.none(), NotifyCommands.none());
        runtime.reload(config(onEth1), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(eth0.closed).isTrue();
        assertThat(registry.find("lvsd.vrrp.filtered").tags("socket", "eth0/IPv4").counter()).isNull();
        assertThat(registry.find("lvsd.vrrp.drops").tags("instance", "VI_1").counters()).isEmpty();
        // The eth0 socket's counting reader, before it noticed the close, reads one more of the stranger's adverts.
        VrrpPacket late = new VrrpPacket(3, 51, 254, 100, List.of(IpPrefix.parse(VIP).address()), 0, null);
        eth0.receiver.filtered(new RawIpSocket.Packet(stranger, ME, 255, VrrpCodec.encode(late, stranger, ME, true),
                clock.nanoTime(), 0));
        assertThat(registry.find("lvsd.vrrp.filtered").tags("socket", "eth0/IPv4").counter())
                .as("the closed channel's counter, not registered again").isNull();
        assertThat(registry.find("lvsd.vrrp.drops").tags("instance", "VI_1").counters())
                .as("no counter left behind for the stopped instance").isEmpty();
        assertThat(counter("lvsd.vrrp.drops", "instance", "", "reason", "unicast_source")).isEqualTo(1);
    }

    @Test
    void anInstanceAddedByAReloadIsLetInBeforeItStartsListening() throws Exception {
        master(vi1(100, VIP));
        FakeVrrpKernel.FakeSocket socket = kernel.socket("eth0", IpFamily.IPV4);
        assertThat(socket.filter.toString()).isEqualTo("vrid 51");
        VrrpInstanceConfig vi2 = instance("VI_2", 52, 100, 3, Duration.ofSeconds(1), null, "10.0.0.101/24");
        runtime.reload(config(vi1(100, VIP), vi2), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(kernel.socket("eth0", IpFamily.IPV4)).as("the same socket").isSameAs(socket);
        assertThat(socket.filter.toString()).isEqualTo("vrid 51, vrid 52");
        peerMaster(52, 5, "10.0.0.101/24");
        assertThat(state("VI_2")).as("it heard the peer's adverts from its first moment").isEqualTo("BACKUP");
        assertThat(counter("lvsd.vrrp.drops", "instance", "", "reason", "vrid")).isZero();
        runtime.reload(config(vi2), null, Duration.ofSeconds(1));
        clock.runDue();
        assertThat(socket.filter.toString()).as("VI_1 removed").isEqualTo("vrid 52");
    }
}
