package io.lvsd.controller.config;

import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.linux.Require;
import java.time.Duration;
import java.util.Objects;

/** {@code ipvs { timeouts, drift-check-interval }}. */
public record IpvsConfig(IpvsTimeouts timeouts, Duration driftCheckInterval) {
    public IpvsConfig {
        Objects.requireNonNull(timeouts, "timeouts");
        Require.positive("drift-check-interval", driftCheckInterval);
    }
}
