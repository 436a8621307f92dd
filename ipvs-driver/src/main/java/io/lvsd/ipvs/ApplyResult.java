package io.lvsd.ipvs;

import java.util.List;

/** What a batch did: one outcome per operation, in order. Nothing is silently skipped. */
public record ApplyResult(List<Outcome> outcomes) {
    public ApplyResult {
        outcomes = List.copyOf(outcomes);
    }

    /**
     * @param errno     0 when applied
     * @param errnoName e.g. {@code EEXIST}; null when applied
     * @param message   the kernel's text (and extended ack), null when applied
     */
    public record Outcome(IpvsOp op, int errno, String errnoName, String message) {
        public boolean applied() {
            return errno == 0;
        }

        /** {@code NEW_DEST tcp 10.0.0.1:80 -> 10.1.0.1:80: EEXIST (File exists)}. */
        public String describe() {
            return op.describe() + (applied() ? ": ok" : ": " + errnoName + (message == null ? "" : " (" + message + ")"));
        }
    }

    public boolean allApplied() {
        return outcomes.stream().allMatch(Outcome::applied);
    }

    public List<Outcome> failures() {
        return outcomes.stream().filter(o -> !o.applied()).toList();
    }

    public long appliedCount() {
        return outcomes.stream().filter(Outcome::applied).count();
    }
}
