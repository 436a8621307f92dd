package io.lvsd.linux;

/**
 * Rise/fall hysteresis over a stream of pass/fail results: up turns down after {@code fall} failures in a row, down
 * turns up after {@code rise} successes in a row. One result of the other kind resets the count. The one place this
 * rule is written; health checks ({@code retries}, {@code rise}) and VRRP track scripts ({@code fall}, {@code rise})
 * both count with it. Pure bookkeeping: no clock, no threads; the owner calls it on its own thread.
 */
public final class RiseFall {
    private final int rise;
    private final int fall;
    private boolean up;
    private int successes;
    private int failures;

    /**
     * @param up   the state before the first result
     * @param rise successes in a row that bring a down target up (at least 1)
     * @param fall failures in a row that take an up target down (at least 1)
     */
    public RiseFall(boolean up, int rise, int fall) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise " + rise + ", fall " + fall + ": both must be at least 1");
        }
        this.up = up;
        this.rise = rise;
        this.fall = fall;
    }

    /** Takes one result; returns true when it turned the state over. */
    public boolean record(boolean success) {
        if (success) {
            failures = 0;
            successes++;
            if (!up && successes >= rise) {
                up = true;
                return true;
            }
        } else {
            successes = 0;
            failures++;
            if (up && failures >= fall) {
                up = false;
                return true;
            }
        }
        return false;
    }

    /** Sets the state outright (a health check's {@code alpha} target comes up at its first success); counts stay. */
    public void force(boolean up) {
        this.up = up;
    }

    public boolean up() {
        return up;
    }

    /** Successes in a row up to now (0 after a failure). */
    public int successes() {
        return successes;
    }

    /** Failures in a row up to now (0 after a success). */
    public int failures() {
        return failures;
    }
}
