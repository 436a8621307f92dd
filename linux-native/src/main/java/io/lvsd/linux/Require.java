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
            throw new IllegalArgumentException(key + ": " + quoted(value) + " (expected a non-empty string)");
        }
        return value;
    }

    /**
     * {@code value} in double quotes, with control characters escaped ({@code \\r}, {@code \\u0000}): a blank value
     * from the kernel or the network may be any whitespace, and an error message carries it on one line.
     */
    static String quoted(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"', '\\' -> b.append('\\').append(c);
                default -> {
                    if (Character.isISOControl(c) || Character.isWhitespace(c) && c != ' ') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
