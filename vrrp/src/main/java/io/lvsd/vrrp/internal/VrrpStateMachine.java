package io.lvsd.vrrp.internal;

import io.lvsd.vrrp.VrrpState;
import io.lvsd.vrrp.PreemptGate;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One virtual router's state machine (RFC 5798 §6.4, with RFC 9568's corrections), pure: the
 * caller passes the time ({@code nowNanos}) and carries out the returned actions; it owns no
 * thread and reads no clock. Intervals are kept in centiseconds as on the wire; version 2
 * routers use whole seconds (100 cs steps). A backup times its master by the interval the master
 * advertises (see {@link #advertReceived}).
 *
 * <p>Every state change goes through {@link #state} with a reason, which is what operators see
 * in the log and in {@code lvsd_vrrp_transitions_total}.
 */
public final class VrrpStateMachine {

    /** What the runtime must do. */
    public sealed interface Action {
    }

    /** Send an advertisement with this priority (0 on shutdown). */
    public record SendAdvert(int priority) implements Action {
    }

    /** The state changed: MASTER adds the VIPs and announces them, leaving MASTER removes them. */
    public record Transition(VrrpState from, VrrpState to, String reason) implements Action {
    }

    /** Announce the VIPs again (a master heard a lower-priority master: heal the split brain). */
    public record Reannounce() implements Action {
    }

    /**
     * Settings of the router. The version and VRID never change while it runs (another virtual router is another
     * machine); the interval and the preemption settings may, through {@link #reconfigure}.
     */
    public record Settings(int version, int vrid, int advertIntervalCs, boolean preempt, long preemptDelayNanos,
                           InetAddress primaryAddress) {
        public Settings {
            Objects.requireNonNull(primaryAddress, "primaryAddress");
        }
    }

    private static final long CS = 10_000_000L;

    private Settings settings;
    private final String name;
    private final PreemptGate gate;
    private VrrpState state = VrrpState.INIT;
    private int priority;
    private int masterAdverIntervalCs;
    private long masterDownDeadline = Long.MAX_VALUE;
    /** When the advert that last restarted Master_Down_Timer arrived, or MIN_VALUE: a takeover's first phase. */
    private long lastAdvert = Long.MIN_VALUE;
    private long adverDeadline = Long.MAX_VALUE;
    private long preemptAllowedAt = Long.MIN_VALUE;
    private long startedAt = Long.MIN_VALUE;
    private InetAddress masterAddress;
    private InetAddress primary;
    private boolean masterLeft;
    /** A lower-priority master this backup is letting Master_Down_Timer run out on (it preempts), or null. */
    private InetAddress preempting;
    private int preemptingPriority;
    /** When this backup first wanted to preempt {@link #gateWaitFor} and asked the gate, or MIN_VALUE. */
    private long gateWaitSince = Long.MIN_VALUE;
    private InetAddress gateWaitFor;
    private final List<Action> out = new ArrayList<>();

    public VrrpStateMachine(Settings settings, int priority) {
        this(settings, priority, "", PreemptGate.OPEN);
    }

    /** A router whose preemption of a lower-priority master must first pass {@code gate}. */
    public VrrpStateMachine(Settings settings, int priority, String name, PreemptGate gate) {
        this.settings = settings;
        this.name = Objects.requireNonNull(name, "name");
        this.gate = Objects.requireNonNull(gate, "gate");
        this.priority = priority;
        this.masterAdverIntervalCs = settings.advertIntervalCs();
        this.primary = settings.primaryAddress();
    }

    /** Our primary address changed (e.g. the interface's IPv6 link-local address appeared). */
    public void primaryAddress(InetAddress address) {
        primary = Objects.requireNonNull(address, "address");
        if (state == VrrpState.MASTER) {
            masterAddress = address;
        }
    }

    public VrrpState state() {
        return state;
    }

    public int priority() {
        return priority;
    }

    /** The address of the current master as last heard (ours when MASTER), or null. */
    public InetAddress masterAddress() {
        return masterAddress;
    }

    /**
     * When the advertisement that last (re)started the Master_Down timer arrived, or {@code Long.MIN_VALUE} when none
     * has since this router last started or was master (the timer then runs from its start). A lower-priority
     * master's adverts that this backup preempts do not restart it.
     */
    public long lastAdvertNanos() {
        return lastAdvert;
    }

    /** The earliest time {@link #poll} has something to do. */
    public long nextDeadline() {
        return Math.min(masterDownDeadline, adverDeadline);
    }

    /** Skew_Time in nanoseconds: ((256 - Priority) * Master_Adver_Interval) / 256 (RFC 5798 §6.1). */
    public long skewTimeNanos() {
        return (256L - priority) * masterAdverIntervalCs * CS / 256;
    }

    /** Master_Down_Interval: (3 * Master_Adver_Interval) + Skew_Time. */
    public long masterDownIntervalNanos() {
        return 3L * masterAdverIntervalCs * CS + skewTimeNanos();
    }

    /** RFC 5798 §6.4.1: Startup. */
    public List<Action> startup(long now) {
        if (state != VrrpState.INIT) {
            return List.of();
        }
        startedAt = now;
        if (settings.preemptDelayNanos() > 0) {
            preemptAllowedAt = now + settings.preemptDelayNanos();
        }
        if (priority == 255) {
            becomeMaster(now, "startup as address owner (priority 255)");
        } else {
            masterAdverIntervalCs = settings.advertIntervalCs();
            masterDownDeadline = now + masterDownIntervalNanos();
            lastAdvert = Long.MIN_VALUE;
            state(VrrpState.BACKUP, "startup");
        }
        return drain();
    }

    /** Shutdown (§6.4.2, §6.4.3): a master sends priority 0 so a backup takes over after Skew_Time. */
    public List<Action> shutdown(long now) {
        if (state == VrrpState.MASTER) {
            out.add(new SendAdvert(0));
        }
        cancelTimers();
        if (state != VrrpState.INIT) {
            state(VrrpState.INIT, "shutdown");
        }
        return drain();
    }

    /** Timers that are due at {@code now}. */
    public List<Action> poll(long now) {
        if (state == VrrpState.BACKUP && now >= masterDownDeadline) {
            becomeMaster(now, masterLeft ? "the master left (priority 0); Skew_Time (" + skewTimeNanos() / 1_000_000
                    + " ms) passed" : preempting != null ? "preempted " + preempting.getHostAddress() + " (priority "
                    + preemptingPriority + " < " + priority + ")" : "no advertisement for Master_Down_Interval ("
                    + masterDownIntervalNanos() / 1_000_000 + " ms)");
        } else if (state == VrrpState.MASTER && now >= adverDeadline) {
            out.add(new SendAdvert(priority));
            adverDeadline = now + settings.advertIntervalCs() * CS;
        }
        return drain();
    }

    /**
     * An advertisement for our VRID that passed validation. {@code intervalCs} is the sender's
     * Max Adver Int (version 3) or its interval in seconds times 100 (version 2).
     */
    public List<Action> advertReceived(long now, InetAddress sender, int senderPriority, int intervalCs) {
        switch (state) {
            case BACKUP -> {
                if (senderPriority == 0) {
                    // §6.4.2: the master is leaving; take over after Skew_Time only.
                    masterDownDeadline = now + skewTimeNanos();
                    lastAdvert = now;
                    masterLeft = true;
                    preempting = null;
                } else if (!preemptsNow(now) || senderPriority >= priority || !gateOpen(sender, now)) {
                    // A v3 backup adopts the master's interval (RFC 5798 §6.4.2). A v2 router drops adverts with
                    // another interval before they get here (RFC 3768 §7.1), except the previous interval that a
                    // reloaded lvsd still accepts while a pair rolls an interval change out: then it must time
                    // the master by the interval the master really uses.
                    masterAdverIntervalCs = intervalCs;
                    masterAddress = sender;
                    masterDownDeadline = now + masterDownIntervalNanos();
                    lastAdvert = now;
                    masterLeft = false;
                    preempting = null;
                    if (senderPriority >= priority) {
                        gateWaitSince = Long.MIN_VALUE;
                    }
                } else {
                    // A lower-priority master and we preempt (§6.4.2): let Master_Down_Timer expire.
                    preempting = sender;
                    preemptingPriority = senderPriority;
                }
            }
            case MASTER -> {
                if (senderPriority == 0) {
                    out.add(new SendAdvert(priority));
                    adverDeadline = now + settings.advertIntervalCs() * CS;
                } else if (senderPriority > priority || (senderPriority == priority
                        && compare(sender, primary) > 0)) {
                    adverDeadline = Long.MAX_VALUE;
                    masterAdverIntervalCs = intervalCs; // as a backup's above
                    masterAddress = sender;
                    masterDownDeadline = now + masterDownIntervalNanos();
                    lastAdvert = now;
                    state(VrrpState.BACKUP, "advertisement from " + sender.getHostAddress() + " with priority "
                            + senderPriority + (senderPriority == priority ? " and a higher address" : ""));
                } else {
                    // RFC 9568 §6.4.3: answer a lower-priority master at once, and re-announce.
                    out.add(new SendAdvert(priority));
                    out.add(new Reannounce());
                    adverDeadline = now + settings.advertIntervalCs() * CS;
                }
            }
            default -> {
                // INIT and FAULT ignore advertisements.
            }
        }
        return drain();
    }

    /** The effective priority changed (tracking); a backup may now preempt, a master may yield. */
    public List<Action> priorityChanged(long now, int newPriority) {
        priority = newPriority;
        if (state == VrrpState.MASTER) {
            // Tell the backups at once: a higher one may now preempt.
            out.add(new SendAdvert(priority));
            adverDeadline = now + settings.advertIntervalCs() * CS;
        }
        return drain();
    }

    /**
     * A reload changed the advert interval or the preemption settings ({@code next} has the same version and
     * VRID): they apply from now on, with no state change. A master's next advert, due no later than one new
     * interval from now, carries the new interval; a backup keeps timing its master by the interval that master
     * advertises. A new preempt delay counts from this router's start, as the old one did.
     */
    public List<Action> reconfigure(long now, Settings next) {
        if (next.version() != settings.version() || next.vrid() != settings.vrid()) {
            throw new IllegalArgumentException("version/vrid: " + next.version() + "/" + next.vrid() + " (expected: "
                    + settings.version() + "/" + settings.vrid() + "; another virtual router is a restart)");
        }
        int interval = next.advertIntervalCs();
        settings = new Settings(next.version(), next.vrid(), interval, next.preempt(), next.preemptDelayNanos(),
                settings.primaryAddress());
        if (startedAt != Long.MIN_VALUE) {
            preemptAllowedAt = next.preemptDelayNanos() > 0 ? startedAt + next.preemptDelayNanos() : Long.MIN_VALUE;
        }
        if (state == VrrpState.MASTER) {
            masterAdverIntervalCs = interval;
            adverDeadline = Math.min(adverDeadline, now + interval * CS);
        } else if (state == VrrpState.BACKUP && masterAddress == null) {
            masterAdverIntervalCs = interval; // no master heard yet: Master_Down_Interval is still ours
        }
        return drain();
    }

    /** The advert interval in force, in centiseconds (ours as master, the master's as backup). */
    public int advertIntervalCs() {
        return masterAdverIntervalCs;
    }

    /**
     * A sync group holds this backup back until {@code deadline}: another member still hears a
     * master, so the group must not go master yet (it would flap between the directors).
     */
    public void postponeMasterDown(long deadline) {
        if (state == VrrpState.BACKUP) {
            masterDownDeadline = Math.max(masterDownDeadline, deadline);
        }
    }

    /** A tracked interface or script with weight 0 failed: leave the election. */
    public List<Action> fault(long now, String reason) {
        if (state == VrrpState.MASTER) {
            out.add(new SendAdvert(0));
        }
        cancelTimers();
        if (state != VrrpState.FAULT) {
            state(VrrpState.FAULT, reason);
        }
        return drain();
    }

    /** The fault is gone: rejoin as at startup. */
    public List<Action> faultCleared(long now, String reason) {
        if (state != VrrpState.FAULT) {
            return List.of();
        }
        if (priority == 255) {
            becomeMaster(now, reason + "; address owner");
        } else {
            masterDownDeadline = now + masterDownIntervalNanos();
            lastAdvert = Long.MIN_VALUE;
            state(VrrpState.BACKUP, reason);
        }
        return drain();
    }

    /** A sync group made another member MASTER: follow it (advertise and take the addresses). */
    public List<Action> forceMaster(long now, String reason) {
        if (state == VrrpState.BACKUP) {
            becomeMaster(now, reason);
        }
        return drain();
    }

    /** A sync group made another member BACKUP: follow it. */
    public List<Action> forceBackup(long now, String reason) {
        if (state == VrrpState.MASTER) {
            adverDeadline = Long.MAX_VALUE;
            masterDownDeadline = now + masterDownIntervalNanos();
            lastAdvert = Long.MIN_VALUE;
            state(VrrpState.BACKUP, reason);
        }
        return drain();
    }

    private boolean preemptsNow(long now) {
        return settings.preempt() && now >= preemptAllowedAt;
    }

    /** Asks the gate; the wait starts with the first advert of this master that we would preempt. */
    private boolean gateOpen(InetAddress master, long now) {
        if (gateWaitSince == Long.MIN_VALUE || !master.equals(gateWaitFor)) {
            gateWaitSince = now;
            gateWaitFor = master;
        }
        return gate.open(name, master, gateWaitSince, now);
    }

    private void becomeMaster(long now, String reason) {
        out.add(new SendAdvert(priority));
        masterDownDeadline = Long.MAX_VALUE;
        lastAdvert = Long.MIN_VALUE;
        adverDeadline = now + settings.advertIntervalCs() * CS;
        masterAddress = primary;
        state(VrrpState.MASTER, reason);
    }

    private void cancelTimers() {
        masterDownDeadline = Long.MAX_VALUE;
        adverDeadline = Long.MAX_VALUE;
    }

    /** The one place state changes. */
    private void state(VrrpState to, String reason) {
        out.add(new Transition(state, to, reason));
        state = to;
        preempting = null;
        gateWaitSince = Long.MIN_VALUE;
    }

    private List<Action> drain() {
        List<Action> a = List.copyOf(out);
        out.clear();
        return a;
    }

    /** Addresses compared as unsigned numbers, as RFC 5798 §6.4.3 means "greater". */
    static int compare(InetAddress a, InetAddress b) {
        return Arrays.compareUnsigned(a.getAddress(), b.getAddress());
    }
}
