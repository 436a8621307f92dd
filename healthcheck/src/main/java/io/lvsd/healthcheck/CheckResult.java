package io.lvsd.healthcheck;

import java.util.Objects;

/**
 * What one probe found.
 *
 * @param up           the real server passed
 * @param weight       a weight the probe reported (dynamic script), or null for the configured one
 * @param detail       for logs and {@code /status}: why it failed, or what it saw ({@code HTTP 200}, {@code exit 0})
 * @param latencyNanos how long the probe took
 * @param sample       the number a load agent reported, or null; {@link AgentChecker#weight} maps it (smoothed)
 *                     to a weight
 */
public record CheckResult(boolean up, Integer weight, String detail, long latencyNanos, Double sample) {
    public CheckResult {
        Objects.requireNonNull(detail, "detail");
        if (weight != null && (weight < 0 || weight > 65535)) {
            throw new IllegalArgumentException("weight: " + weight + " (expected 0-65535)");
        }
        if (sample != null && !(sample >= 0 && Double.isFinite(sample))) {
            throw new IllegalArgumentException("sample: " + sample + " (expected a finite number >= 0)");
        }
    }

    public CheckResult(boolean up, Integer weight, String detail, long latencyNanos) {
        this(up, weight, detail, latencyNanos, null);
    }

    public static CheckResult up(String detail, long latencyNanos) {
        return new CheckResult(true, null, detail, latencyNanos);
    }

    public static CheckResult up(int weight, String detail, long latencyNanos) {
        return new CheckResult(true, weight, detail, latencyNanos);
    }

    /** An agent's report. */
    public static CheckResult sample(double sample, String detail, long latencyNanos) {
        return new CheckResult(true, null, detail, latencyNanos, sample);
    }

    public static CheckResult down(String detail, long latencyNanos) {
        return new CheckResult(false, null, detail, latencyNanos);
    }
}
