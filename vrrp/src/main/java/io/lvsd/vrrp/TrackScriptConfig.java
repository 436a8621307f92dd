package io.lvsd.vrrp;

import io.lvsd.linux.Require;
import io.lvsd.linux.proc.Command;
import java.time.Duration;
import java.util.Objects;

/**
 * A script run every {@code interval}; exit 0 is success. After {@code fall} failures it is
 * down, after {@code rise} successes up again; while down, instances tracking it add
 * {@code weight} to their priority (0 = fault).
 */
public record TrackScriptConfig(String name, Command command, Duration interval, Duration timeout,
                                int weight, int rise, int fall) {
    public TrackScriptConfig {
        Require.nonEmpty("name", name);
        Objects.requireNonNull(command, "command");
        Require.positive("interval", interval);
        Require.positive("timeout", timeout);
        Require.range("weight", weight, -254, 254);
        Require.range("rise", rise, 1, 1000);
        Require.range("fall", fall, 1, 1000);
    }
}
