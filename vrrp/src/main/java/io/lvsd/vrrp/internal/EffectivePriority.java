package io.lvsd.vrrp.internal;

import java.util.List;

/**
 * The priority an instance advertises, from its configured priority and what it tracks, with
 * keepalived's semantics so that migrated configurations behave the same:
 * <ul>
 *   <li>an interface or script with a negative weight subtracts it while down/failing; with a
 *   positive weight adds it while up/succeeding; with weight 0 its failure faults the instance;</li>
 *   <li>a file's integer value times its weight is added; with weight 0 a non-zero value faults;</li>
 *   <li>the result is clamped to 1-254: only an untouched priority 255 stays the address owner.</li>
 * </ul>
 */
public final class EffectivePriority {
    private EffectivePriority() {
    }

    /** One tracked item's current state. */
    public sealed interface Tracked {
        String name();
    }

    /** An interface or script: {@code ok} is link up / script succeeding. */
    public record Status(String name, int weight, boolean ok) implements Tracked {
    }

    /** A file's current integer value. */
    public record FileValue(String name, int weight, long value) implements Tracked {
    }

    /** @param faultReason non-null when the instance must be in FAULT */
    public record Result(int priority, String faultReason) {
        public boolean fault() {
            return faultReason != null;
        }
    }

    public static Result compute(int configured, List<Tracked> tracked) {
        long p = configured;
        boolean changed = false;
        for (Tracked t : tracked) {
            if (t instanceof Status s) {
                if (s.weight() == 0) {
                    if (!s.ok()) {
                        return new Result(configured, s.name() + " is down");
                    }
                } else if ((s.weight() < 0 && !s.ok()) || (s.weight() > 0 && s.ok())) {
                    p += s.weight();
                    changed = true;
                }
            } else if (t instanceof FileValue f) {
                if (f.weight() == 0) {
                    if (f.value() != 0) {
                        return new Result(configured, f.name() + " holds " + f.value());
                    }
                } else if (f.value() != 0) {
                    p += f.value() * f.weight();
                    changed = true;
                }
            }
        }
        if (!changed) {
            return new Result(configured, null);
        }
        return new Result((int) Math.max(1, Math.min(254, p)), null);
    }
}
