package io.lvsd.controller.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.vrrp.VrrpState;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.ipvs.SyncDaemon.Role;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.sync.CatchUp;
import io.lvsd.sync.ConnTable;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncGroupSocket;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.internal.SyncCodec;
import java.net.InetSocketAddress;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncComponentTest {
    static final long MS = 1_000_000L;
    static final InetAddress D2 = IpAddresses.parse("10.99.0.12");

    @TempDir
    Path dir;
    final InMemoryIpvsClient kernel = new InMemoryIpvsClient();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<String> watches = new ArrayList<>();
    long now = 1_000 * MS;
    volatile boolean refuseStarts;
    volatile boolean unreadableConnTable;
    IpvsComponent ipvs;
    SyncComponent sync;
    /** What lvsd sent to the sync group, decoded. */
    final List<SyncCodec.Result> sent = new ArrayList<>();
    /** Work the component asked to run later, by when ({@link #now}). */
    record Later(long at, Runnable task) {
    }
    final List<Later> later = new ArrayList<>();
    /** What the component waited for, in nanoseconds. */
    final List<Long> slept = new ArrayList<>();

    /** Moves the clock on by {@code nanos} and runs what fell due. */
    void pass(long nanos) throws Exception {
        now += nanos;
        for (Later l : new ArrayList<>(later)) {
            if (l.at() <= now) {
                later.remove(l);
                l.task().run();
            }
        }
        settle();
    }

    /** This director's connection table, as /proc/net/ip_vs_conn would show it. */
    final List<String> connTable = new ArrayList<>();

    static String conf(String sync) {
        return """
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = 150,
                                      virtual-addresses = ["10.99.0.100/24"] }
                vrrp.instances.VI_2 { interface = eth1, virtual-router-id = 52, priority = 150,
                                      virtual-addresses = ["10.98.0.1/24"] }
                sync-daemon { %s }
                """.formatted(sync);
    }

    LvsdConfig config(String syncDaemon) {
        return TestConfigs.valid(dir, conf(syncDaemon));
    }

    SyncComponent component() {
        IpvsClient shared = (IpvsClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {IpvsClient.class}, (p, m, a) -> {
                    if (m.getName().equals("close")) {
                        return null;
                    }
                    if (refuseStarts && m.getName().equals("startDaemon")) {
                        throw new java.io.IOException("sendmsg(netlink IPVS NEW_DAEMON master on eth0): ENODEV (No such device)");
                    }
                    try {
                        return m.invoke(kernel, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ipvs = new IpvsComponent(() -> shared, registry, Clock.systemUTC(), Duration.ofHours(1));
        sync = new SyncComponent(ipvs, registry, Clock.systemUTC(), () -> now, (ifname, group, port, traffic, listener) -> {
            watches.add(ifname + " " + group.getHostAddress() + ":" + port);
            return new SyncGroupSocket() {
                @Override
                public void send(byte[] datagram) {
                    sent.add(SyncCodec.decode(datagram));
                }

                @Override
                public int mtu() {
                    return 1500;
                }

                @Override
                public void close() {
                    watches.add("closed");
                }
            };
        }, each -> {
            if (unreadableConnTable) {
                throw new java.io.IOException("/proc/net/ip_vs_conn: Permission denied");
            }
            long n = 0;
            for (String line : connTable) {
                ConnTable.Entry e = ConnTable.parse(line);
                if (e != null) {
                    each.accept(e);
                    n++;
                }
            }
            return n;
        }, this::home, (delay, task) -> later.add(new Later(now + delay, task)), slept::add);
        return sync;
    }

    @AfterEach
    void stop() {
        if (ipvs != null) {
            ipvs.stop();
        }
    }

    /**
     * The component's sync thread is this test's thread: work posted from it runs at once, after what other
     * threads (the IPVS driver's) posted before, which waits for {@link #settle}.
     */
    final Thread testThread = Thread.currentThread();
    final java.util.Queue<Runnable> posted = new java.util.concurrent.ConcurrentLinkedQueue<>();

    void home(Runnable r) {
        if (Thread.currentThread() != testThread) {
            posted.add(r);
            return;
        }
        runPosted();
        r.run();
    }

    void runPosted() {
        for (Runnable p; (p = posted.poll()) != null; ) {
            p.run();
        }
    }

    /** Waits until everything queued on the IPVS driver thread has run, then what it posted to the sync thread. */
    void settle() throws Exception {
        ipvs.execute(c -> { }).get();
        runPosted();
    }

    List<Role> daemons() {
        return kernel.daemons().stream().map(SyncDaemon::role).toList();
    }

    double changes(String role, String action) {
        return registry.get("lvsd.sync.daemon.changes").tags("role", role, "action", action).counter().count();
    }

    @Test
    void followingRunsTheBackupDaemonUntilTheInstanceIsMasterThenTheMasterDaemon() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        assertThat(daemons()).containsExactly(Role.BACKUP);
        assertThat(watches).containsExactly("eth0 224.0.0.81:8848");
        sync.transition("VI_1", VrrpState.INIT, VrrpState.BACKUP, "startup");
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "no advertisement for Master_Down_Interval (3609 ms)");
        settle();
        // The backup daemon stays a while, for the old master's last messages and its handover replay.
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        pass(9_999 * MS);
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        pass(MS);
        assertThat(daemons()).containsExactly(Role.MASTER);
        assertThat(sync.status().daemons()).containsExactly("master");
        assertThat(sync.status().followedState()).isEqualTo("MASTER");
        assertThat(sync.status().lastChange()).contains("stop backup daemon")
                .endsWith(": VI_1: one sync flush window after the transition");
        assertThat(registry.get("lvsd.sync.daemon.running").tag("role", "master").gauge().value()).isEqualTo(1);
        assertThat(registry.get("lvsd.sync.daemon.running").tag("role", "backup").gauge().value()).isZero();
        sync.transition("VI_1", VrrpState.MASTER, VrrpState.FAULT, "interface eth0 is down");
        settle();
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        pass(3_000 * MS);
        assertThat(daemons()).containsExactly(Role.BACKUP);
        assertThat(changes("backup", "start")).isEqualTo(2);
        assertThat(changes("master", "stop")).isEqualTo(1);
    }

    @Test
    void otherThreadsOnlyPostWorkToTheSyncThread() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        masterTable();
        Thread vrrpLoop = new Thread(() -> sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup"));
        vrrpLoop.start();
        vrrpLoop.join();
        assertThat(posted).hasSize(1);
        assertThat(sync.status().followedState()).as("nothing changes off the sync thread").isEqualTo("INIT");
        runPosted();
        settle();
        assertThat(sync.status().followedState()).isEqualTo("MASTER");
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        Thread listener = new Thread(() -> sync.control(IpAddresses.parse("10.99.0.11"), CatchUp.request(7, 42)));
        listener.start();
        listener.join();
        assertThat(sent).as("the listener's thread does not answer").isEmpty();
        runPosted();
        assertThat(sentCatchUps()).containsExactly(CatchUp.accepted(7, 42), CatchUp.done(7, 42, 4));
    }

    @Test
    void otherInstancesDoNotMoveTheDaemons() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        sync.transition("VI_2", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        settle();
        assertThat(daemons()).containsExactly(Role.BACKUP);
    }

    @Test
    void withoutFollowBothDaemonsRun() throws Exception {
        component().start(config("interface = eth0, sync-id = 7"));
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        settle();
        assertThat(daemons()).containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
    }

    @Test
    void reloadRestartsOnlyWhatChangedAndStopLeavesTheKernelClean() throws Exception {
        component().start(config("interface = eth0, sync-id = 7"));
        sync.reload(config("interface = eth0, sync-id = 7"), config("interface = eth0, sync-id = 7"));
        assertThat(changes("master", "stop")).isZero();
        assertThat(sync.lastReload()).isEmpty();
        sync.reload(config("interface = eth0, sync-id = 7"), config("interface = eth0, sync-id = 8, follow = VI_1"));
        assertThat(kernel.daemons()).extracting(SyncDaemon::role, SyncDaemon::syncId).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Role.BACKUP, 8));
        assertThat(watches).containsExactly("eth0 224.0.0.81:8848"); // same group: the listener stays
        assertThat(sync.lastReload()).hasSize(3).allMatch(l -> l.contains("daemon"));
        assertThat(registry.get("lvsd.config.reload.actions").tags("component", "sync", "action", "stop-master-daemon")
                .counter().count()).isEqualTo(1);
        sync.stop();
        assertThat(kernel.daemons()).isEmpty();
        assertThat(watches).containsExactly("eth0 224.0.0.81:8848", "closed");
    }

    @Test
    void turningSyncOffOnReloadStopsTheDaemonsAndLeavesLaterOnesAlone() throws Exception {
        component().start(config("interface = eth0, sync-id = 7"));
        sync.reload(config("interface = eth0, sync-id = 7"), config("interface = null"));
        assertThat(kernel.daemons()).isEmpty();
        // An operator's own daemon is not lvsd's business while sync is off.
        kernel.startDaemon(new SyncDaemon(Role.BACKUP, "eth9", 3, 0, null, 0, 0));
        ipvs.driftCheckNow();
        settle();
        assertThat(daemons()).containsExactly(Role.BACKUP);
    }

    @Test
    void theDriftCheckPutsBackADaemonStoppedBehindLvsdsBack() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        kernel.stopDaemon(Role.BACKUP);
        ipvs.driftCheckNow();
        settle();
        assertThat(daemons()).containsExactly(Role.BACKUP);
    }

    @Test
    void theDriftCheckUndoesEveryChangeMadeBehindLvsdsBack() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        kernel.startDaemon(new SyncDaemon(Role.MASTER, "eth0", 7, 0, null, 0, 0));
        kernel.stopDaemon(Role.BACKUP);
        ipvs.driftCheckNow();
        settle();
        assertThat(daemons()).containsExactly(Role.BACKUP);
    }

    @Test
    void aRefusedStartKeepsTheBackupDaemonIsReportedAndIsRetriedByTheDriftCheck() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        refuseStarts = true;
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        settle();
        assertThat(daemons()).containsExactly(Role.BACKUP); // no stop without its start
        assertThat(sync.status().error()).isEqualTo("start master daemon (eth0, sync-id 7, port 8848, ttl 1): "
                + "sendmsg(netlink IPVS NEW_DAEMON master on eth0): ENODEV (No such device)");
        assertThat(registry.get("lvsd.sync.daemon.failures").counter().count()).isEqualTo(1);
        refuseStarts = false;
        ipvs.driftCheckNow();
        settle();
        assertThat(daemons()).as("within the backup's linger").containsExactlyInAnyOrder(Role.MASTER, Role.BACKUP);
        pass(10_000 * MS);
        assertThat(daemons()).containsExactly(Role.MASTER);
        assertThat(sync.status().error()).isNull();
    }

    @Test
    void disabledSyncIgnoresTransitionsAndOpensNoListener() throws Exception {
        component().start(config("interface = null"));
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        settle();
        assertThat(kernel.daemons()).isEmpty();
        assertThat(watches).isEmpty();
        assertThat(sync.status().enabled()).isFalse();
    }

    // ---- sync-aware fail-back

    /** A sync message from {@code from} reaching the listener, as the watcher delivers it. */
    void hear(InetAddress from, int... clientPorts) {
        List<SyncConnection> conns = new ArrayList<>();
        for (int port : clientPorts) {
            conns.add(SyncConnection.of(6, SyncConnection.F_DROUTE, 1, IpAddresses.parse("10.99.0.50"),
                    port, IpAddresses.parse("10.99.0.100"), 7, IpAddresses.parse("10.99.0.21"), 7, 900));
        }
        SyncMessage m = new SyncMessage(1, 7, conns);
        sync.traffic().message(from, m);
        sync.message(from, m);
    }

    @Test
    void theGateOpensOnceTheMastersSyncStreamHasBroughtNothingNewForTheSettleWindow() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        hear(D2, 40000); // before the wait: does not count
        long since = now + 500 * MS;
        now = since;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        now += 1000 * MS;
        hear(IpAddresses.parse("10.99.0.99")); // someone else, with nothing in it
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sync.status().failBack()).isEqualTo("waiting for 10.99.0.12 to answer the catch-up request and for "
                + "its sync stream (1000 ms so far, 0 connection(s) learned)");
        hear(D2, 40001, 40002);
        now += 2000 * MS;
        hear(D2, 40001, 40003); // one new connection: the quiet window starts again
        now += 1999 * MS;
        hear(D2, 40002, 40003); // nothing new, but the master has had less than 5 s to answer
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        now += MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).isEqualTo("open: sync traffic from 10.99.0.12 heard; 3 connection(s) "
                + "learned, none new for 2000 ms; waited 5000 ms; no catch-up answer from 10.99.0.12");
        // The state machine asks again at every advert until Master_Down_Interval has passed: the gate stays open
        // for this wait, whatever the stream brings meanwhile.
        hear(D2, 40009);
        now += 300 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).contains("waited 5000 ms");
        // A new wait (the state machine reset it: a higher advert, a transition) asks afresh.
        assertThat(sync.open("VI_1", D2, now, now)).isFalse();
        assertThat(sync.status().failBack()).startsWith("waiting for 10.99.0.12 to answer the catch-up request and "
                + "for its sync stream (0 ms so far");
    }

    @Test
    void theGateOpensAfterPreemptWaitWithoutSyncTraffic() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        now += 9_999 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        now += MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).isEqualTo("open: preempt-wait (10000 ms) ran out without sync traffic from "
                + "10.99.0.12");
        now += 1000 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).endsWith("ran out without sync traffic from 10.99.0.12");
    }

    @Test
    void theGateOpensAfterPreemptWaitEvenWhileNewConnectionsKeepComing() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        for (int i = 0; i < 10; i++) {
            now += 1000 * MS;
            hear(D2, 41000 + i);
        }
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).isEqualTo("open: preempt-wait (10000 ms) ran out while the sync stream from "
                + "10.99.0.12 still brought new connections (10 learned)");
    }

    @Test
    void aNewWaitForgetsWhatTheLastOneLearned() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long first = now;
        assertThat(sync.open("VI_1", D2, first, now)).isFalse();
        hear(D2, 40001);
        now += 5000 * MS;
        assertThat(sync.open("VI_1", D2, first, now)).isTrue();
        long second = now;
        assertThat(sync.open("VI_1", D2, second, now)).isFalse();
        assertThat(sync.status().failBack()).endsWith("0 connection(s) learned)");
    }

    @Test
    void theGateOnlyHoldsTheFollowedInstanceAndNothingWhenPreemptWaitIsZero() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        assertThat(sync.open("VI_2", D2, now, now)).isTrue();
        sync.reload(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"),
                config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 0s"));
        assertThat(sync.open("VI_1", D2, now, now)).isTrue();
    }

    @Test
    void onADedicatedSyncLinkAnySenderOpensTheGate() throws Exception {
        // VI_1 runs VRRP on eth0; sync runs on eth1, where the peer has another address.
        component().start(config("interface = eth1, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        hear(IpAddresses.parse("10.98.0.12"), 40001);
        now += 5000 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
    }

    // ---- the catch-up exchange

    List<CatchUp> sentCatchUps() {
        return sent.stream().filter(r -> r instanceof SyncCodec.Control).map(r -> ((SyncCodec.Control) r).catchUp())
                .toList();
    }

    List<SyncConnection> sentConnections() {
        return sent.stream().filter(r -> r instanceof SyncCodec.Decoded).flatMap(r -> ((SyncCodec.Decoded) r)
                .message().connections().stream()).toList();
    }

    @Test
    void aReturningDirectorAsksForACatchUpAndPreemptsOnceTheMasterIsDoneAndTheStreamSettled() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sentCatchUps()).hasSize(1);
        CatchUp request = sentCatchUps().get(0);
        assertThat(request.kind()).isEqualTo(CatchUp.Kind.REQUEST);
        assertThat(request.syncId()).isEqualTo(7);
        // No answer within a second: asked again, with the same nonce.
        now += 999 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sentCatchUps()).hasSize(1);
        now += MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sentCatchUps()).hasSize(2).allMatch(c -> c.nonce() == request.nonce());
        // The replay arrives, then a done for someone else's request, then ours.
        hear(D2, 40001, 40002, 40003);
        sync.control(D2, CatchUp.done(7, request.nonce() + 1, 99));
        now += 500 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sync.status().failBack()).startsWith("waiting for 10.99.0.12 to answer");
        sync.control(D2, CatchUp.done(7, request.nonce(), 3));
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sync.status().failBack()).isEqualTo("caught up with 10.99.0.12 (3 replayed); waiting one sync "
                + "flush window for connections opened since (1500 ms so far, 3 connection(s) learned)");
        int requests = sentCatchUps().size();
        now += 1999 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sentCatchUps()).as("no more requests once answered").hasSize(requests);
        now += MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).isEqualTo("open: caught up: 10.99.0.12 replayed 3 connection(s), done "
                + "2000 ms ago; 3 learned; waited 3500 ms");
    }

    @Test
    void aMasterThatAcceptedTheRequestIsWaitedForHoweverLongItsReplayTakes() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        sync.open("VI_1", D2, since, now);
        long nonce = sentCatchUps().get(0).nonce();
        sync.control(D2, CatchUp.accepted(7, nonce));
        hear(D2, 40001); // the kernel's own stream, then quiet: without the accepted, this would do after 3 s
        now += 5000 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        assertThat(sync.status().failBack()).isEqualTo("waiting for 10.99.0.12 to finish replaying its connections "
                + "(5000 ms so far, 1 connection(s) learned)");
        sync.control(D2, CatchUp.done(7, nonce, 1));
        now += 2000 * MS;
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        // Without a done, preempt-wait still bounds the wait.
        long second = now;
        sync.open("VI_1", D2, second, now);
        sync.control(D2, CatchUp.accepted(7, sentCatchUps().get(sentCatchUps().size() - 1).nonce()));
        now += 10_000 * MS;
        assertThat(sync.open("VI_1", D2, second, now)).isTrue();
        assertThat(sync.status().failBack()).startsWith("open: preempt-wait (10000 ms) ran out");
    }

    @Test
    void aCaughtUpDirectorGoesAheadOneFlushWindowAfterTheDoneEvenWhileNewConnectionsKeepComing() throws Exception {
        // A client opening connections all the time: the stream never goes quiet, so quiet cannot be the rule.
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        long since = now;
        sync.open("VI_1", D2, since, now);
        sync.control(D2, CatchUp.done(7, sentCatchUps().get(0).nonce(), 0));
        for (int i = 0; i < 19; i++) {
            now += 100 * MS;
            hear(D2, 40100 + i); // opened since the master read its table: its kernel sends them
            assertThat(sync.open("VI_1", D2, since, now)).isFalse();
        }
        now += 100 * MS;
        hear(D2, 40200);
        assertThat(sync.open("VI_1", D2, since, now)).isTrue();
        assertThat(sync.status().failBack()).isEqualTo("open: caught up: 10.99.0.12 replayed 0 connection(s), done "
                + "2000 ms ago; 20 learned; waited 2000 ms");
    }

    /** d1's table as the master: DR web on 10.99.0.100:80, NAT udp on 10.99.0.100:53, fwmark 5 DR. */
    void masterTable() throws Exception {
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.99.0.100"), 80));
        ServiceKey dns = new ServiceKey.Addr(Protocol.UDP, new InetSocketAddress(IpAddresses.parse("10.99.0.100"), 53));
        ServiceKey mark = new ServiceKey.Fwmark(io.lvsd.linux.net.IpFamily.IPV4, 5);
        kernel.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddDest(web, Destination.of(new InetSocketAddress(IpAddresses.parse("10.99.0.21"), 80), Forwarding.DR, 1)),
                new IpvsOp.AddService(VirtualService.of(dns, "rr")),
                new IpvsOp.AddDest(dns, Destination.of(new InetSocketAddress(IpAddresses.parse("10.99.1.31"), 5353), Forwarding.NAT, 1)),
                new IpvsOp.AddService(VirtualService.of(mark, "rr")),
                new IpvsOp.AddDest(mark, Destination.of(new InetSocketAddress(IpAddresses.parse("10.99.0.22"), 0), Forwarding.DR, 1))));
        connTable.add("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData");
        connTable.add("TCP 0A630032 A90E 0A630064 0050 0A630015 0050 ESTABLISHED     899"); // idle, established
        connTable.add("TCP 0A630032 A90F 0A630064 0050 0A630015 0050 FIN_WAIT         80");
        connTable.add("UDP 0A630032 C350 0A630064 0035 0A63011F 14E9 UDP              250");
        connTable.add("TCP 0A630033 9C40 0A630064 01BB 0A630016 0000 ESTABLISHED     600"); // fwmark 5
        connTable.add("TCP 0A630034 9C41 0A630099 0050 0A630017 0050 ESTABLISHED     600"); // no such service
    }

    @Test
    void theMasterReplaysItsWholeTableAtACatchUpRequestThenSaysItIsDone() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        masterTable();
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "preempted");
        settle();
        InetAddress d1 = IpAddresses.parse("10.99.0.11");
        sync.control(d1, CatchUp.request(7, 42));
        InetAddress client = IpAddresses.parse("10.99.0.50");
        InetAddress vip = IpAddresses.parse("10.99.0.100");
        assertThat(sentConnections()).containsExactly(
                SyncConnection.of(6, SyncConnection.F_DROUTE | SyncConnection.F_NOOUTPUT, 1, client, 43278, vip, 80,
                        IpAddresses.parse("10.99.0.21"), 80, 899),
                SyncConnection.of(6, SyncConnection.F_DROUTE | SyncConnection.F_NOOUTPUT | SyncConnection.F_INACTIVE, 4,
                        client, 43279, vip, 80, IpAddresses.parse("10.99.0.21"), 80, 80),
                SyncConnection.of(17, SyncConnection.F_MASQ | SyncConnection.F_INACTIVE, 0, client, 50000, vip, 53,
                        IpAddresses.parse("10.99.1.31"), 5353, 250),
                new SyncConnection(io.lvsd.linux.net.IpFamily.IPV4, 6, SyncConnection.F_DROUTE | SyncConnection.F_NOOUTPUT,
                        1, IpAddresses.parse("10.99.0.51"), 40000, vip, 443, IpAddresses.parse("10.99.0.22"), 0, 5, 600,
                        null, null, null, List.of()));
        assertThat(sent).filteredOn(r -> r instanceof SyncCodec.Decoded)
                .allMatch(r -> ((SyncCodec.Decoded) r).message().syncId() == 7);
        assertThat(sentCatchUps()).containsExactly(CatchUp.accepted(7, 42), CatchUp.done(7, 42, 4));
        assertThat(registry.get("lvsd.sync.catchup.entries").counter().count()).isEqualTo(4);
        // The requester asks again (its done was lost): the done again, no second replay.
        sent.clear();
        sync.control(d1, CatchUp.request(7, 42));
        assertThat(sent).containsExactly(new SyncCodec.Control(CatchUp.done(7, 42, 4)));
        assertThat(registry.get("lvsd.sync.catchup.replays").tag("result", "repeated").counter().count()).isEqualTo(1);
        // Another sync id's request is not ours to answer.
        sent.clear();
        sync.control(d1, CatchUp.request(8, 43));
        assertThat(sent).isEmpty();
    }

    @Test
    void aDirectorLeavingMasterReplaysItsTableAtOnceAndItsStopWaitsOutTheMasterDaemonsFlushWindow() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        masterTable();
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        pass(10_000 * MS);
        assertThat(sent).isEmpty(); // becoming master replays nothing
        // A graceful stop: while VRRP still holds the VIPs, a first replay; then VRRP stops, the instance leaves
        // MASTER, and a second replay brings what opened since.
        sync.beforeStop();
        assertThat(sentConnections()).hasSize(4);
        sent.clear();
        sync.transition("VI_1", VrrpState.MASTER, VrrpState.INIT, "lvsd is stopping");
        settle();
        assertThat(sentConnections()).hasSize(4);
        assertThat(sentCatchUps()).as("a handover has no requester to tell it is done").isEmpty();
        assertThat(registry.get("lvsd.sync.handover.entries").counter().count()).isEqualTo(8);
        assertThat(registry.get("lvsd.sync.handover.replays").tag("result", "ok").counter().count()).isEqualTo(2);
        assertThat(daemons()).as("the master daemon keeps its flush window").containsExactlyInAnyOrder(Role.MASTER,
                Role.BACKUP);
        now += 1_200 * MS;
        sync.stop();
        assertThat(slept).containsExactly(1_800 * MS);
        assertThat(kernel.daemons()).isEmpty();
    }

    @Test
    void theReplayIsRehearsedWithARealEntry() {
        assertThat(SyncComponent.rehearseReplay()).as("the rehearsal's one connection was matched and encoded")
                .isEqualTo(1);
    }

    @Test
    void aBackupStopsWithoutWaitingAndAFailedHandoverIsCounted() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1"));
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "startup");
        pass(10_000 * MS);
        connTable.add("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData");
        unreadableConnTable = true;
        sync.transition("VI_1", VrrpState.MASTER, VrrpState.BACKUP, "preempted by 10.99.0.11");
        settle();
        assertThat(registry.get("lvsd.sync.handover.replays").tag("result", "failed").counter().count()).isEqualTo(1);
        pass(3_000 * MS);
        assertThat(daemons()).containsExactly(Role.BACKUP);
        unreadableConnTable = false;
        sent.clear();
        sync.beforeStop();
        assertThat(sent).as("a backup has nothing to hand over").isEmpty();
        sync.stop();
        assertThat(slept).isEmpty();
        assertThat(kernel.daemons()).isEmpty();
    }

    @Test
    void onlyTheMasterAnswersACatchUpRequest() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        masterTable();
        sync.transition("VI_1", VrrpState.INIT, VrrpState.BACKUP, "startup");
        sync.control(IpAddresses.parse("10.99.0.11"), CatchUp.request(7, 42));
        assertThat(sent).isEmpty();
    }

    @Test
    void aReplaySplitsTheTableIntoDatagramsThatFitTheMtu() throws Exception {
        component().start(config("interface = eth0, sync-id = 7, follow = VI_1, preempt-wait = 10s"));
        masterTable();
        connTable.subList(2, connTable.size()).clear();
        for (int i = 0; i < 100; i++) {
            connTable.add(String.format("TCP 0A630032 %04X 0A630064 0050 0A630015 0050 ESTABLISHED     899", 20000 + i));
        }
        sync.transition("VI_1", VrrpState.BACKUP, VrrpState.MASTER, "preempted");
        settle();
        sync.control(IpAddresses.parse("10.99.0.11"), CatchUp.request(7, 1));
        // 1500 - 28 bytes of headers - 8 of sync header leave room for 40 entries of 36 bytes.
        assertThat(sent).filteredOn(r -> r instanceof SyncCodec.Decoded)
                .extracting(r -> ((SyncCodec.Decoded) r).message().connections().size()).containsExactly(40, 40, 21);
        assertThat(sentCatchUps()).containsExactly(CatchUp.accepted(7, 1), CatchUp.done(7, 1, 101));
    }
}
