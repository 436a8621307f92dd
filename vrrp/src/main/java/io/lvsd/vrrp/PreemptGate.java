package io.lvsd.vrrp;

import java.net.InetAddress;

/**
 * Asked before a backup preempts a lower-priority master. A closed gate makes the backup keep that master for
 * now, exactly as if it did not preempt; the backup asks again at the master's next advertisement. The
 * controller uses it for sync-aware fail-back: a returning director first waits until it has heard the
 * current master's connection-sync traffic, so taking over does not cut connections only the master knows.
 * Called on the VRRP loop: it must answer at once.
 */
@FunctionalInterface
public interface PreemptGate {
    /** Always open: plain RFC 5798 preemption. */
    PreemptGate OPEN = (instance, master, waitingSinceNanos, nowNanos) -> true;

    /**
     * @param instance          the instance that would preempt
     * @param master            the lower-priority master it would preempt
     * @param waitingSinceNanos when this backup first wanted to preempt {@code master} ({@code System.nanoTime()})
     * @param nowNanos          now, on the same clock
     */
    boolean open(String instance, InetAddress master, long waitingSinceNanos, long nowNanos);
}
