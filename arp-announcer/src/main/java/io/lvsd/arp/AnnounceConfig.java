package io.lvsd.arp;

import io.lvsd.linux.Require;
import java.time.Duration;

/**
 * How a new master announces its addresses: {@code repeat} gratuitous ARPs / unsolicited
 * neighbour advertisements at once and again after {@code delay}; with a non-zero
 * {@code refresh}, {@code refreshRepeat} more every {@code refresh} while master.
 */
public record AnnounceConfig(Duration delay, int repeat, Duration refresh, int refreshRepeat) {
    public AnnounceConfig {
        Require.nonNegative("delay", delay);
        Require.range("repeat", repeat, 1, 100);
        Require.nonNegative("refresh", refresh);
        Require.range("refresh-repeat", refreshRepeat, 1, 100);
    }
}
