package io.lvsd.healthcheck;

import io.lvsd.linux.RiseFall;
import java.time.Duration;
import java.util.Objects;

/**
 * The health of one probed target, from its results: pure bookkeeping (no clock, no threads), so the rules are
 * tested with plain calls.
 *
 * <ul>
 *   <li>A target starts {@link State#UP}, or {@link State#DOWN} with {@code alpha}; an alpha target comes up at
 *       its first success.</li>
 *   <li>UP goes DOWN after {@code retries} consecutive failures; while failures are counting, the next probe
 *       comes after {@code retry-delay} instead of the interval.</li>
 *   <li>DOWN comes UP after {@code rise} consecutive successes.</li>
 *   <li>A success that reports a weight (dynamic script, agent) sets the weight; a change of it while UP is a
 *       transition of its own.</li>
 * </ul>
 */
public final class HealthTracker {
    /** Whether the target takes traffic. */
    public enum State { UP, DOWN }

    /**
     * A change: state, or the reported weight while UP.
     *
     * @param weight the weight reported by the probe now, or null for the configured one
     * @param reason what made it change, for logs
     */
    public record Transition(State from, State to, Integer weight, String reason) {
    }

    private final CheckConfig config;
    /** Up or down, counted by the one rise/fall rule ({@code retries} is this rule's fall). */
    private final RiseFall health;
    private boolean confirmed;
    private Integer weight;
    private Double sample;
    private CheckResult last;

    public HealthTracker(CheckConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.health = new RiseFall(!config.alpha(), config.rise(), config.retries());
    }

    public State state() {
        return health.up() ? State.UP : State.DOWN;
    }

    /** The reported weight in force, or null for the configured one. */
    public Integer weight() {
        return weight;
    }

    /**
     * The agent's samples smoothed exponentially ({@code smoothing} is the newest sample's share), or null
     * without an agent report since the target was last up.
     */
    public Double sample() {
        return sample;
    }

    /** The latest result, or null before the first. */
    public CheckResult last() {
        return last;
    }

    public int consecutiveSuccesses() {
        return health.successes();
    }

    public int consecutiveFailures() {
        return health.failures();
    }

    /**
     * Delay before the first probe: none, or with {@code warmup} the interval times {@code random}
     * (a number in [0, 1) the caller draws), so that thousands of checks do not start at once.
     */
    public Duration firstDelay(double random) {
        if (!config.warmup()) {
            return Duration.ZERO;
        }
        if (!(random >= 0 && random < 1)) {
            throw new IllegalArgumentException("random: " + random + " (expected [0, 1))");
        }
        return Duration.ofNanos((long) (config.interval().toNanos() * random));
    }

    /** Delay from the latest result to the next probe. */
    public Duration nextDelay() {
        return health.up() && health.failures() > 0 ? config.retryDelay() : config.interval();
    }

    /** Takes one result; returns the transition it caused, or null. */
    public Transition record(CheckResult r) {
        last = r;
        boolean wasUp = health.up();
        boolean turned = health.record(r.up());
        if (r.up()) {
            Integer before = weight;
            Double sampleBefore = sample;
            weight = r.weight();
            if (r.sample() != null) {
                double a = config.spec() instanceof CheckSpec.Agent ag ? ag.smoothing() : 1.0;
                sample = sample == null || !wasUp ? r.sample() : a * r.sample() + (1 - a) * sample;
            }
            if (!wasUp && (turned || (config.alpha() && !confirmed))) {
                confirmed = true;
                health.force(true);
                int successes = health.successes();
                return new Transition(State.DOWN, State.UP, weight, successes == 1 ? r.detail()
                        : r.detail() + " (" + successes + " successes in a row)");
            }
            confirmed = true;
            if (wasUp && (!Objects.equals(before, weight) || !Objects.equals(sampleBefore, sample))) {
                return new Transition(State.UP, State.UP, weight, r.detail());
            }
            return null;
        }
        if (turned) {
            confirmed = true;
            int failures = health.failures();
            weight = null;
            sample = null;
            return new Transition(State.UP, State.DOWN, null, failures == 1 ? r.detail()
                    : r.detail() + " (" + failures + " failures in a row)");
        }
        return null;
    }
}
