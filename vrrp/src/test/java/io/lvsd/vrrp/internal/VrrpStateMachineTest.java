package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.vrrp.internal.VrrpStateMachine.Action;
import io.lvsd.vrrp.internal.VrrpStateMachine.Reannounce;
import io.lvsd.vrrp.internal.VrrpStateMachine.SendAdvert;
import io.lvsd.vrrp.VrrpState;
import io.lvsd.vrrp.internal.VrrpStateMachine.Transition;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 5798 §6.4, row by row, on a fake clock (nanoseconds passed in). */
class VrrpStateMachineTest {
    static final long MS = 1_000_000L;
    static final InetAddress ME = IpAddresses.parse("10.99.0.11");
    static final InetAddress PEER_HIGH = IpAddresses.parse("10.99.0.12");
    static final InetAddress PEER_LOW = IpAddresses.parse("10.99.0.10");

    static VrrpStateMachine router(int priority, boolean preempt, long preemptDelayMs) {
        return new VrrpStateMachine(new VrrpStateMachine.Settings(3, 51, 100, preempt, preemptDelayMs * MS, ME), priority);
    }

    static VrrpStateMachine backup(int priority) {
        VrrpStateMachine m = router(priority, true, 0);
        m.startup(0);
        return m;
    }

    static VrrpStateMachine master(int priority) {
        VrrpStateMachine m = backup(priority);
        m.poll(m.nextDeadline());
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
        return m;
    }

    static Transition transition(List<Action> a) {
        return a.stream().filter(Transition.class::isInstance).map(Transition.class::cast).findFirst().orElse(null);
    }

    // ---- §6.4.1 Initialize

    @Test
    void ownerStartsAsMasterAndAdvertises() {
        VrrpStateMachine m = router(255, true, 0);
        List<Action> a = m.startup(0);
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
        assertThat(a).contains(new SendAdvert(255));
        assertThat(transition(a).reason()).contains("address owner");
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS);
    }

    @Test
    void othersStartAsBackupWithMasterDownInterval() {
        VrrpStateMachine m = router(150, true, 0);
        List<Action> a = m.startup(0);
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(a).doesNotHaveAnyElementsOfTypes(SendAdvert.class);
        // Master_Down_Interval = 3 * 1 s + (256 - 150) * 1 s / 256 = 3.4140625 s
        assertThat(m.masterDownIntervalNanos()).isEqualTo(3_414_062_500L);
        assertThat(m.nextDeadline()).isEqualTo(3_414_062_500L);
    }

    // ---- §6.4.2 Backup

    @Test
    void backupShutdownGoesToInit() {
        VrrpStateMachine m = backup(100);
        assertThat(transition(m.shutdown(5)).to()).isEqualTo(VrrpState.INIT);
        assertThat(m.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void backupBecomesMasterWhenMasterDownTimerFires() {
        VrrpStateMachine m = backup(100);
        assertThat(m.poll(m.nextDeadline() - 1)).isEmpty();
        List<Action> a = m.poll(m.nextDeadline());
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
        assertThat(a).startsWith(new SendAdvert(100));
        assertThat(m.masterAddress()).isEqualTo(ME);
    }

    @Test
    void backupHearingPriorityZeroWaitsOnlySkewTime() {
        VrrpStateMachine m = backup(100);
        m.advertReceived(1000 * MS, PEER_HIGH, 0, 100);
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS + m.skewTimeNanos());
        assertThat(m.skewTimeNanos()).isEqualTo(609_375_000L); // (256-100)/256 s
    }

    @Test
    void backupHearingAnEqualOrHigherMasterResetsTheTimerAndAdoptsItsInterval() {
        VrrpStateMachine m = backup(100);
        m.advertReceived(2000 * MS, PEER_HIGH, 150, 50);
        // v3: the backup adopts the master's 0.5 s: 3 * 0.5 + (256-100) * 0.5 / 256
        assertThat(m.masterDownIntervalNanos()).isEqualTo(1_500_000_000L + 304_687_500L);
        assertThat(m.nextDeadline()).isEqualTo(2000 * MS + m.masterDownIntervalNanos());
        assertThat(m.masterAddress()).isEqualTo(PEER_HIGH);
        m.advertReceived(2500 * MS, PEER_HIGH, 100, 50); // equal priority also holds us back
        assertThat(m.nextDeadline()).isEqualTo(2500 * MS + m.masterDownIntervalNanos());
    }

    @Test
    void backupWithPreemptIgnoresALowerMasterAndTakesOver() {
        VrrpStateMachine m = backup(150);
        long deadline = m.nextDeadline();
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        assertThat(m.nextDeadline()).isEqualTo(deadline);
        assertThat(transition(m.poll(deadline)).to()).isEqualTo(VrrpState.MASTER);
    }

    @Test
    void backupWithoutPreemptKeepsALowerMaster() {
        VrrpStateMachine m = router(150, false, 0);
        m.startup(0);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS + m.masterDownIntervalNanos());
        assertThat(m.poll(3000 * MS)).isEmpty();
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void preemptDelayHoldsBackUntilItHasPassed() {
        VrrpStateMachine m = router(150, true, 5000);
        m.startup(0);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100); // within the delay: treated as nopreempt
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS + m.masterDownIntervalNanos());
        long deadline = m.nextDeadline();
        m.advertReceived(6000 * MS, PEER_LOW, 100, 100); // after it: ignored, so we preempt
        assertThat(m.nextDeadline()).isEqualTo(deadline);
    }

    @Test
    void preemptingALowerMasterSaysSoInTheReason() {
        VrrpStateMachine m = backup(150);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        assertThat(transition(m.poll(m.nextDeadline())).reason()).isEqualTo("preempted 10.99.0.10 (priority 100 < 150)");
    }

    @Test
    void aClosedPreemptGateKeepsTheLowerMasterAndIsAskedAgainAtEachAdvert() {
        List<String> asked = new java.util.ArrayList<>();
        boolean[] open = {false};
        VrrpStateMachine m = new VrrpStateMachine(new VrrpStateMachine.Settings(3, 51, 100, true, 0, ME), 150, "VI_1",
                (instance, master, since, now) -> {
                    asked.add(instance + " " + master.getHostAddress() + " since " + since / MS + " at " + now / MS);
                    return open[0];
                });
        m.startup(0);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100); // gate closed: kept, as without preempt
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS + m.masterDownIntervalNanos());
        assertThat(m.masterAddress()).isEqualTo(PEER_LOW);
        m.advertReceived(2000 * MS, PEER_LOW, 100, 100);
        assertThat(m.poll(3000 * MS)).isEmpty();
        open[0] = true;
        long deadline = m.nextDeadline();
        m.advertReceived(3000 * MS, PEER_LOW, 100, 100); // gate open: discarded, so Master_Down_Timer runs out
        assertThat(m.nextDeadline()).isEqualTo(deadline);
        assertThat(asked).containsExactly("VI_1 10.99.0.10 since 1000 at 1000", "VI_1 10.99.0.10 since 1000 at 2000",
                "VI_1 10.99.0.10 since 1000 at 3000");
        assertThat(transition(m.poll(deadline)).to()).isEqualTo(VrrpState.MASTER);
    }

    @Test
    void theGateIsNotAskedForAnEqualOrHigherMasterAndItsWaitStartsAgainAfterOne() {
        List<Long> since = new java.util.ArrayList<>();
        VrrpStateMachine m = new VrrpStateMachine(new VrrpStateMachine.Settings(3, 51, 100, true, 0, ME), 150, "VI_1",
                (instance, master, s, now) -> since.add(s / MS) && false);
        m.startup(0);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        m.advertReceived(2000 * MS, PEER_HIGH, 200, 100); // a higher master: the gate has nothing to say
        m.advertReceived(3000 * MS, PEER_LOW, 100, 100); // a lower master again: a new wait
        assertThat(since).containsExactly(1000L, 3000L);
    }

    @Test
    void withoutPreemptOrWithinPreemptDelayTheGateIsNeverAsked() {
        List<Long> asked = new java.util.ArrayList<>();
        VrrpStateMachine m = new VrrpStateMachine(new VrrpStateMachine.Settings(3, 51, 100, true, 5000 * MS, ME), 150,
                "VI_1", (instance, master, s, now) -> asked.add(now / MS));
        m.startup(0);
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        assertThat(asked).isEmpty();
        m.advertReceived(6000 * MS, PEER_LOW, 100, 100);
        assertThat(asked).containsExactly(6000L);
    }

    // ---- §6.4.3 Master

    @Test
    void masterShutdownSendsPriorityZero() {
        VrrpStateMachine m = master(150);
        List<Action> a = m.shutdown(10_000 * MS);
        assertThat(a).containsExactly(new SendAdvert(0), new Transition(VrrpState.MASTER, VrrpState.INIT, "shutdown"));
    }

    @Test
    void masterAdvertisesEveryInterval() {
        VrrpStateMachine m = master(150);
        long t = m.nextDeadline();
        assertThat(m.poll(t)).containsExactly(new SendAdvert(150));
        assertThat(m.nextDeadline()).isEqualTo(t + 1000 * MS);
    }

    @Test
    void masterAnswersPriorityZeroAtOnce() {
        VrrpStateMachine m = master(150);
        assertThat(m.advertReceived(5000 * MS, PEER_HIGH, 0, 100)).containsExactly(new SendAdvert(150));
        assertThat(m.nextDeadline()).isEqualTo(6000 * MS);
    }

    @Test
    void masterYieldsToAHigherPriority() {
        VrrpStateMachine m = master(150);
        List<Action> a = m.advertReceived(5000 * MS, PEER_LOW, 200, 100);
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(transition(a).reason()).isEqualTo("advertisement from 10.99.0.10 with priority 200");
        assertThat(a).doesNotHaveAnyElementsOfTypes(SendAdvert.class);
    }

    @Test
    void equalPriorityIsBrokenByTheHigherPrimaryAddress() {
        VrrpStateMachine m = master(150);
        m.advertReceived(5000 * MS, PEER_LOW, 150, 100);
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
        List<Action> a = m.advertReceived(5100 * MS, PEER_HIGH, 150, 100);
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(transition(a).reason()).endsWith("and a higher address");
    }

    @Test
    void masterHearingALowerMasterAnswersAtOnceAndReannounces() {
        VrrpStateMachine m = master(150);
        List<Action> a = m.advertReceived(5000 * MS, PEER_HIGH, 100, 100);
        assertThat(a).containsExactly(new SendAdvert(150), new Reannounce());
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
    }

    // ---- tracking and faults

    @Test
    void aLowerEffectivePriorityIsAdvertisedAtOnce() {
        VrrpStateMachine m = master(150);
        assertThat(m.priorityChanged(5000 * MS, 100)).containsExactly(new SendAdvert(100));
        assertThat(m.priority()).isEqualTo(100);
    }

    @Test
    void aFaultTakesTheMasterOutWithPriorityZeroAndItRejoinsAsBackup() {
        VrrpStateMachine m = master(150);
        List<Action> a = m.fault(5000 * MS, "interface eth0 down");
        assertThat(a).containsExactly(new SendAdvert(0), new Transition(VrrpState.MASTER, VrrpState.FAULT, "interface eth0 down"));
        assertThat(m.poll(100_000 * MS)).isEmpty();
        assertThat(m.advertReceived(6000 * MS, PEER_HIGH, 100, 100)).isEmpty();
        assertThat(transition(m.faultCleared(7000 * MS, "interface eth0 up")).to()).isEqualTo(VrrpState.BACKUP);
        assertThat(m.nextDeadline()).isEqualTo(7000 * MS + m.masterDownIntervalNanos());
    }

    @Test
    void versionTwoTimesItsMasterByTheIntervalOfTheAdvertsItAccepted() {
        // The runtime drops v2 adverts with another interval (RFC 3768 §7.1, AdvertFilter), except the previous
        // interval during a rollout after a reload: then the master still advertises every 3 s, and a backup
        // already at 1 s must not declare it dead after 3 * 1 s + skew.
        VrrpStateMachine m = new VrrpStateMachine(new VrrpStateMachine.Settings(2, 51, 100, true, 0, ME), 100);
        m.startup(0);
        assertThat(m.masterDownIntervalNanos()).isEqualTo(3_609_375_000L);
        m.advertReceived(1000 * MS, PEER_HIGH, 150, 300);
        assertThat(m.masterDownIntervalNanos()).isEqualTo(3 * 3_000 * MS + (256 - 100) * 3_000 * MS / 256);
        assertThat(m.nextDeadline()).isEqualTo(1000 * MS + m.masterDownIntervalNanos());
    }

    // ---- reconfiguration in place (a reload)

    static VrrpStateMachine.Settings settings(int intervalCs, boolean preempt, long preemptDelayMs) {
        return new VrrpStateMachine.Settings(3, 51, intervalCs, preempt, preemptDelayMs * MS, ME);
    }

    @Test
    void aMastersNewIntervalTakesEffectFromTheNextAdvertWithoutAStateChange() {
        VrrpStateMachine m = master(150); // became master at 3 * 1000 + skew ms; next advert 1 s later
        long now = m.nextDeadline() - 900 * MS;
        assertThat(m.reconfigure(now, settings(30, true, 0))).isEmpty();
        assertThat(m.state()).isEqualTo(VrrpState.MASTER);
        assertThat(m.nextDeadline()).as("the next advert, one new interval away").isEqualTo(now + 300 * MS);
        assertThat(m.poll(m.nextDeadline())).containsExactly(new SendAdvert(150));
        assertThat(m.advertIntervalCs()).isEqualTo(30);
        long next = m.nextDeadline();
        assertThat(m.reconfigure(next - 10 * MS, settings(100, true, 0))).isEmpty();
        assertThat(m.nextDeadline()).as("a longer interval does not postpone the advert already due").isEqualTo(next);
    }

    @Test
    void aV3BackupKeepsTimingItsMasterByTheMastersInterval() {
        VrrpStateMachine m = backup(100);
        m.advertReceived(10 * MS, PEER_HIGH, 200, 100);
        long deadline = m.nextDeadline();
        m.reconfigure(20 * MS, settings(30, true, 0));
        assertThat(m.nextDeadline()).isEqualTo(deadline);
        assertThat(m.advertIntervalCs()).as("the master's").isEqualTo(100);
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void preemptSwitchedOffAtAReloadKeepsALowerMaster() {
        VrrpStateMachine m = backup(150);
        m.reconfigure(5 * MS, settings(100, false, 0));
        m.advertReceived(10 * MS, PEER_LOW, 100, 100);
        assertThat(m.poll(10 * MS + m.masterDownIntervalNanos() - MS)).isEmpty();
        assertThat(m.nextDeadline()).isEqualTo(10 * MS + m.masterDownIntervalNanos());
        m.advertReceived(900 * MS, PEER_LOW, 100, 100);
        assertThat(m.state()).isEqualTo(VrrpState.BACKUP);
        // Switched on again: the next advert of the lower master lets Master_Down run out (§6.4.2).
        m.reconfigure(1000 * MS, settings(100, true, 0));
        m.advertReceived(1900 * MS, PEER_LOW, 100, 100);
        long expiry = m.nextDeadline();
        assertThat(expiry).isEqualTo(900 * MS + m.masterDownIntervalNanos());
        assertThat(transition(m.poll(expiry)).to()).isEqualTo(VrrpState.MASTER);
    }

    @Test
    void aNewPreemptDelayCountsFromTheStart() {
        VrrpStateMachine m = router(150, true, 0);
        m.startup(0);
        m.reconfigure(100 * MS, settings(100, true, 60_000));
        m.advertReceived(1000 * MS, PEER_LOW, 100, 100);
        m.advertReceived(1900 * MS, PEER_LOW, 100, 100);
        assertThat(m.nextDeadline()).as("within 60 s of the start: no preemption").isEqualTo(1900 * MS
                + m.masterDownIntervalNanos());
        m.reconfigure(2000 * MS, settings(100, true, 1_000));
        m.advertReceived(2900 * MS, PEER_LOW, 100, 100);
        assertThat(m.nextDeadline()).as("1 s after the start has passed: preempts").isEqualTo(1900 * MS
                + m.masterDownIntervalNanos());
    }

    @Test
    void aReconfigurationCannotChangeTheVirtualRouter() {
        VrrpStateMachine m = backup(100);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.reconfigure(0,
                        new VrrpStateMachine.Settings(3, 52, 100, true, 0, ME)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("restart");
    }

    @Test
    void aMasterWhosePriorityDropsBelowABackupsAdvertisesItAtOnceAndTheBackupPreempts() {
        VrrpStateMachine master = master(200);
        List<Action> a = master.priorityChanged(5_000 * MS, 50);
        assertThat(a).containsExactly(new SendAdvert(50));
        assertThat(master.state()).isEqualTo(VrrpState.MASTER);
        VrrpStateMachine backup = backup(100);
        backup.advertReceived(5_000 * MS, PEER_LOW, 50, 100);
        assertThat(transition(backup.poll(backup.nextDeadline())).to()).isEqualTo(VrrpState.MASTER);
    }
}
