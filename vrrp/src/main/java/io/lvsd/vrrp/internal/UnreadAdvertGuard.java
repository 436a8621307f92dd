package io.lvsd.vrrp.internal;

/**
 * Keeps a backup from declaring its master dead while VRRP packets still wait unread on its socket.
 *
 * <p>Packets are read by a reader thread and handled on the VRRP loop, which also runs the Master_Down timer. When
 * the host is overloaded (or the JVM has just started and the reader is still linking its native call), the timer
 * can run out while the master's latest advert sits in the socket's queue or in the reader's hands: taking over
 * then is a false failover, two masters until the advert is read. So at expiry the loop asks whether the channel
 * is behind; if it is, it checks again {@link #RECHECK_NANOS} later, at most for one more Master_Down_Interval
 * (a reader that stays stuck must not keep the router without a master).
 *
 * <p>One per instance; loop thread only. An episode starts at the first expiry that finds the channel behind and
 * ends with {@link #reset} (anything handled for the instance) or when the guard lets the expiry through.
 */
final class UnreadAdvertGuard {
    /** How long the loop waits before it looks at a channel that was behind again. */
    static final long RECHECK_NANOS = 5_000_000L;

    /** What {@link #atExpiry} decided. */
    enum Verdict {
        /** Nothing unread: the expiry stands. */
        EXPIRE,
        /** Something is unread: check again after {@link #RECHECK_NANOS}. */
        WAIT,
        /** Still unread after the limit: the expiry stands all the same. */
        GIVE_UP
    }

    private long since;
    private boolean waiting;

    /**
     * At a Master_Down expiry at {@code now}: {@code behind} says whether the instance's channel has packets not
     * yet handled; {@code limitNanos} is how long one episode may hold the expiry back.
     */
    Verdict atExpiry(long now, boolean behind, long limitNanos) {
        if (!behind) {
            waiting = false;
            return Verdict.EXPIRE;
        }
        if (!waiting) {
            waiting = true;
            since = now;
            return Verdict.WAIT;
        }
        if (now - since < limitNanos) {
            return Verdict.WAIT;
        }
        waiting = false;
        return Verdict.GIVE_UP;
    }

    /** Something was handled for the instance (an advert above all): any episode is over. */
    void reset() {
        waiting = false;
    }

    /** True from an episode's first {@link Verdict#WAIT} until it ends. */
    boolean waiting() {
        return waiting;
    }

    /** Nanoseconds the current episode has held the expiry back. */
    long heldNanos(long now) {
        return waiting ? now - since : 0;
    }
}
