package io.lvsd.healthcheck;

/**
 * One kind of probe. A checker owns no thread and keeps no state between probes: {@link #probe} starts the
 * work on the context's event loop (non-blocking channels, timers) and reports through the context exactly once;
 * the monitor enforces the timeout and closes what the checker registered with {@link ProbeContext#onDone}.
 */
public interface Checker {
    void probe(ProbeContext ctx);

    /** The result when the check's timeout passes first; down unless silence means up (UDP without a reply). */
    default CheckResult timedOut(ProbeContext ctx) {
        return CheckResult.down("timed out after " + ctx.config().timeout().toMillis() + " ms", ctx.elapsedNanos());
    }
}
