package io.lvsd.linux;

import java.time.Duration;

/**
 * At most one log line per period for an event that strangers can repeat at will (a flood of bad adverts, refused
 * API requests): the first at once, then the first after each period, with how many were held back. Pure: the caller
 * passes the time ({@code System.nanoTime()} clock) and counts every event in its metrics regardless.
 */
public final class LogThrottle {
    private final long everyNanos;
    private long lastAt;
    private boolean logged;
    private long suppressed;

    public LogThrottle(Duration every) {
        Require.positive("every", every);
        this.everyNanos = every.toNanos();
    }

    /**
     * Whether an event at {@code nowNanos} should be logged: -1 when not (it is counted as held back), else how many
     * were held back since the last logged one.
     */
    public long admit(long nowNanos) {
        if (logged && nowNanos - lastAt < everyNanos) {
            suppressed++;
            return -1;
        }
        long held = suppressed;
        logged = true;
        lastAt = nowNanos;
        suppressed = 0;
        return held;
    }

    /** " (and N more since the last such line)" for {@code held} > 0, else "". */
    public static String heldBack(long held) {
        return held <= 0 ? "" : " (and " + held + " more since the last such line)";
    }
}
