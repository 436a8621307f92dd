package io.lvsd.vrrp.internal;

import io.lvsd.linux.NativeException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real-time scheduling ({@code SCHED_FIFO}) for the threads an advert and a takeover run on: the VRRP loop (timers,
 * adverts sent), its io thread (VIPs, gratuitous ARP / NA) and the advert readers ({@code vrrp.realtime-priority}).
 *
 * <p>On a busy host a thread of the ordinary policy that wakes for its next advert may wait behind other runnable
 * threads for milliseconds; at 10 ms adverts a master late by more than Master_Down_Interval minus three intervals
 * makes its backup take over falsely. A real-time thread runs as soon as it wakes. That alone does not help against
 * the JVM's stop-the-world pauses, which stop every Java thread whatever its policy; and on a busy host a pause lasts
 * as long as the JVM's VM Thread, which runs it (with the serial collector, the whole collection), waits for a CPU.
 * So the VM Thread runs at the same priority ({@link Scheduler#scheduleJvm}): measured under load at 10 ms adverts,
 * the master's longest gap between adverts went from 23 ms (VRRP threads only) to 15 ms (bench/failover.sh).
 *
 * <p>The policy is per thread, so each thread applies it to itself ({@link #apply}): the loops when the wanted
 * priority changes, a reader at its next packet. Children never inherit it ({@code SCHED_RESET_ON_FORK}): a script
 * started from one of these threads runs at the ordinary policy. A refusal (no {@code CAP_SYS_NICE} and too low an
 * {@code RLIMIT_RTPRIO}, or systemd's {@code RestrictRealtime=yes}) is logged once per thread and wanted priority;
 * the thread goes on at the ordinary policy, and {@link #threads} says how many run at the real-time one.
 */
final class RealtimeThreads {
    private static final Logger log = LoggerFactory.getLogger(RealtimeThreads.class);

    /** Sets threads' policy: {@code SCHED_FIFO} at {@code priority}, or the ordinary one at 0. */
    interface Scheduler {
        /** The calling thread's. */
        void schedule(int priority) throws NativeException;

        /** The JVM's VM Thread's; returns how many threads it set. */
        int scheduleJvm(int priority) throws NativeException;
    }

    /** What one thread last tried, and what it runs at. */
    private static final class Seat {
        int tried;
        int actual;
    }

    private final Scheduler scheduler;
    private final ThreadLocal<Seat> seats = ThreadLocal.withInitial(Seat::new);
    private final AtomicInteger realtime = new AtomicInteger();
    private volatile int wanted;
    private volatile int jvmThreads;

    RealtimeThreads(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * From now on the threads should run at {@code priority} (1-99), or at the ordinary policy (0). The JVM's VM
     * Thread is set here; each of the others sets itself at its next {@link #apply}.
     */
    void want(int priority) {
        if (priority == wanted) {
            return;
        }
        wanted = priority;
        try {
            int n = scheduler.scheduleJvm(priority);
            jvmThreads = priority > 0 ? n : 0;
        } catch (NativeException | RuntimeException e) {
            log.error("the JVM's VM Thread: cannot run at real-time priority {} (vrrp.realtime-priority): {}; its "
                    + "stop-the-world pauses may wait for a CPU on a busy host", priority, e.getMessage());
        }
    }

    /** Brings the calling thread to the wanted policy; cheap when it is there already (a read and a compare). */
    void apply() {
        int w = wanted;
        Seat s = seats.get();
        if (s.tried == w) {
            return;
        }
        s.tried = w;
        try {
            scheduler.schedule(w);
        } catch (NativeException e) {
            log.error("{}: cannot run at real-time priority {} (vrrp.realtime-priority): {}; it runs at the "
                    + "ordinary policy. Give lvsd CAP_SYS_NICE or an RLIMIT_RTPRIO of at least {} (systemd: "
                    + "LimitRTPRIO={} and RestrictRealtime=no)", Thread.currentThread().getName(), w, e.getMessage(), w,
                    w);
            return; // s.actual stays what the thread runs at
        }
        if ((s.actual > 0) != (w > 0)) {
            realtime.addAndGet(w > 0 ? 1 : -1);
        }
        s.actual = w;
    }

    /** How many of the threads run at a real-time priority now, the JVM's included. */
    int threads() {
        return realtime.get() + jvmThreads;
    }
}
