package io.lvsd.healthcheck;

import java.util.Objects;

/**
 * What one probe found.
 *
 * @param up           the real server passed
 * @param weight       a weight the probe reported (dynamic script, agent), or null for the configured one
 * @param detail       for logs and {@code /status}: why it failed, or what it saw ({@code HTTP 200}, {@code exit 0})
 * @param latencyNanos how long the probe took
 */
public record CheckResult(boolean up, Integer weight, String detail, long latencyNanos) {
    public CheckResult {
        Objects.requireNonNull(detail, "detail");
        if (weight != null && (weight < 0 || weight > 65535)) {
            throw new IllegalArgumentException("weight: " + weight + " (expected 0-65535)");
        }
    }

    public static CheckResult up(String detail, long latencyNanos) {
        return new CheckResult(true, null, detail, latencyNanos);
    }

    public static CheckResult up(int weight, String detail, long latencyNanos) {
        return new CheckResult(true, weight, detail, latencyNanos);
    }

    public static CheckResult down(String detail, long latencyNanos) {
        return new CheckResult(false, null, detail, latencyNanos);
    }
}
