package io.lvsd.doctor;

import java.util.Objects;

/**
 * One check's result: what was checked, the verdict, the evidence seen, and the fix as a command or a
 * configuration change ({@code null} when nothing needs fixing).
 */
public record Finding(String check, Verdict verdict, String evidence, String fix) {
    public Finding {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(evidence, "evidence");
    }

    /** {@code FAIL  dr: VIP on lo  -  10.0.0.100/32 not on lo  -> ip addr add 10.0.0.100/32 dev lo}. */
    public String format() {
        return String.format("%-5s %s: %s%s", verdict.name().toLowerCase(java.util.Locale.ROOT), check, evidence,
                fix == null ? "" : "\n      fix: " + fix);
    }
}
