package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.healthcheck.HealthTracker.State;
import io.lvsd.healthcheck.HealthTracker.Transition;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {
    static CheckConfig config(int retries, int rise, boolean warmup, boolean alpha) {
        return new CheckConfig(Duration.ofSeconds(5), Duration.ofSeconds(3), retries, Duration.ofSeconds(1), rise,
                warmup, alpha, null, null, null, null, null, false, new CheckSpec.Tcp());
    }

    static final CheckResult OK = CheckResult.up("connected", 1000);
    static final CheckResult FAIL = CheckResult.down("connection refused", 1000);

    @Test
    void startsUpAndGoesDownAfterRetriesFailuresInARowProbingAtRetryDelayMeanwhile() {
        HealthTracker t = new HealthTracker(config(3, 1, false, false));
        assertThat(t.state()).isEqualTo(State.UP);
        assertThat(t.nextDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.record(FAIL)).isNull();
        assertThat(t.nextDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.record(FAIL)).isNull();
        Transition down = t.record(FAIL);
        assertThat(down).isEqualTo(new Transition(State.UP, State.DOWN, null, "connection refused (3 failures in a row)"));
        assertThat(t.state()).isEqualTo(State.DOWN);
        assertThat(t.nextDelay()).as("a down target is probed at the interval").isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aSuccessBetweenFailuresStartsTheCountAgain() {
        HealthTracker t = new HealthTracker(config(2, 1, false, false));
        assertThat(t.record(FAIL)).isNull();
        assertThat(t.record(OK)).isNull();
        assertThat(t.nextDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.record(FAIL)).isNull();
        assertThat(t.record(FAIL).to()).isEqualTo(State.DOWN);
    }

    @Test
    void retriesOneMeansTheFirstFailureTakesItDown() {
        HealthTracker t = new HealthTracker(config(1, 1, false, false));
        assertThat(t.record(FAIL)).isEqualTo(new Transition(State.UP, State.DOWN, null, "connection refused"));
    }

    @Test
    void comesBackAfterRiseSuccessesInARow() {
        HealthTracker t = new HealthTracker(config(1, 3, false, false));
        t.record(FAIL);
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(FAIL)).as("a failure resets the rise count").isNull();
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(OK)).isEqualTo(new Transition(State.DOWN, State.UP, null, "connected (3 successes in a row)"));
        assertThat(t.consecutiveSuccesses()).isEqualTo(3);
    }

    @Test
    void alphaStartsDownAndTheFirstSuccessBringsItUpWhateverTheRise() {
        HealthTracker t = new HealthTracker(config(1, 3, false, true));
        assertThat(t.state()).isEqualTo(State.DOWN);
        assertThat(t.record(FAIL)).isNull();
        assertThat(t.record(OK)).isEqualTo(new Transition(State.DOWN, State.UP, null, "connected"));
        // Confirmed once: later recoveries need the full rise.
        t.record(FAIL);
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(OK)).isNull();
        assertThat(t.record(OK).to()).isEqualTo(State.UP);
    }

    @Test
    void reportedWeightsChangeTheWeightWhileUpAndAreForgottenWhenDown() {
        HealthTracker t = new HealthTracker(config(1, 1, false, false));
        assertThat(t.record(CheckResult.up(7, "exit 9", 10))).isEqualTo(new Transition(State.UP, State.UP, 7, "exit 9"));
        assertThat(t.record(CheckResult.up(7, "exit 9", 10))).as("same weight: no transition").isNull();
        assertThat(t.weight()).isEqualTo(7);
        assertThat(t.record(CheckResult.up("exit 0", 10))).isEqualTo(new Transition(State.UP, State.UP, null, "exit 0"));
        t.record(CheckResult.up(3, "exit 5", 10));
        assertThat(t.record(FAIL)).isEqualTo(new Transition(State.UP, State.DOWN, null, "connection refused"));
        assertThat(t.weight()).isNull();
        assertThat(t.record(CheckResult.up(4, "exit 6", 10))).isEqualTo(new Transition(State.DOWN, State.UP, 4, "exit 6"));
    }

    @Test
    void warmupDelaysTheFirstProbeByARandomFractionOfTheInterval() {
        assertThat(new HealthTracker(config(1, 1, false, false)).firstDelay(0.5)).isEqualTo(Duration.ZERO);
        HealthTracker t = new HealthTracker(config(1, 1, true, false));
        assertThat(t.firstDelay(0.0)).isEqualTo(Duration.ZERO);
        assertThat(t.firstDelay(0.25)).isEqualTo(Duration.ofMillis(1250));
        assertThat(t.firstDelay(0.999)).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> t.firstDelay(1.0)).hasMessageContaining("random: 1.0");
    }

    @Test
    void keepsTheLatestResult() {
        HealthTracker t = new HealthTracker(config(2, 1, false, false));
        assertThat(t.last()).isNull();
        t.record(FAIL);
        assertThat(t.last()).isEqualTo(FAIL);
        assertThat(t.consecutiveFailures()).isEqualTo(1);
    }
}
