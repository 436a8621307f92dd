package io.lvsd.linux;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for the records every module exchanges. Messages follow one pattern:
 * {@code "priority: 300 (expected 1-255)"}, naming the field by its configuration key.
 */
public final class Require {
    private Require() {
    }

    public static int range(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " (expected " + min + "-" + max + ")");
        }
        return value;
    }

    public static long range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " (expected " + min + "-" + max + ")");
        }
        return value;
    }

    public static Duration positive(String key, Duration value) {
        Objects.requireNonNull(value, key);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + ": " + value + " (expected > 0)");
        }
        return value;
    }

    public static Duration nonNegative(String key, Duration value) {
        Objects.requireNonNull(value, key);
        if (value.isNegative()) {
            throw new IllegalArgumentException(key + ": " + value + " (expected >= 0)");
        }
        return value;
    }

    public static String nonEmpty(String key, String value) {
        Objects.requireNonNull(value, key);
        if (value.isBlank()) {
            throw new IllegalArgumentException(key + ": " + Quoted.of(value) + " (expected a non-empty string)");
        }
        return value;
    }
}
