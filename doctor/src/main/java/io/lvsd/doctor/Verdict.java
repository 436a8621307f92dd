package io.lvsd.doctor;

/** How one check came out. */
public enum Verdict {
    /** As it should be. */
    OK,
    /** Works, but is fragile or surprising. */
    WARN,
    /** Breaks traffic: the exit code is 1. */
    FAIL,
    /** Could not be judged from what the check can see. Never reported as ok. */
    UNDETERMINED
}
