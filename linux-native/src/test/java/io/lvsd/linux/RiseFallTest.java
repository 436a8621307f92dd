package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RiseFallTest {
    @Test
    void upFallsOnlyAfterFallFailuresInARow() {
        RiseFall r = new RiseFall(true, 2, 3);
        assertThat(r.record(false)).isFalse();
        assertThat(r.record(false)).isFalse();
        assertThat(r.record(true)).as("a success resets the failures").isFalse();
        assertThat(r.failures()).isZero();
        assertThat(r.record(false)).isFalse();
        assertThat(r.record(false)).isFalse();
        assertThat(r.up()).isTrue();
        assertThat(r.record(false)).as("the third failure in a row").isTrue();
        assertThat(r.up()).isFalse();
        assertThat(r.failures()).isEqualTo(3);
        assertThat(r.record(false)).as("already down: no second turn").isFalse();
    }

    @Test
    void downRisesOnlyAfterRiseSuccessesInARow() {
        RiseFall r = new RiseFall(false, 2, 1);
        assertThat(r.record(true)).isFalse();
        assertThat(r.record(false)).isFalse();
        assertThat(r.successes()).isZero();
        assertThat(r.record(true)).isFalse();
        assertThat(r.record(true)).isTrue();
        assertThat(r.up()).isTrue();
        assertThat(r.successes()).isEqualTo(2);
        assertThat(r.record(true)).isFalse();
        assertThat(r.record(false)).as("fall 1: one failure").isTrue();
    }

    @Test
    void forceSetsTheStateAndKeepsCounting() {
        RiseFall r = new RiseFall(false, 5, 2);
        r.record(true);
        r.force(true);
        assertThat(r.up()).isTrue();
        assertThat(r.successes()).isEqualTo(1);
        assertThat(r.record(false)).isFalse();
        assertThat(r.record(false)).isTrue();
    }

    @Test
    void riseAndFallMustBePositive() {
        assertThatThrownBy(() -> new RiseFall(true, 0, 1)).hasMessageContaining("rise 0");
        assertThatThrownBy(() -> new RiseFall(true, 1, 0)).hasMessageContaining("fall 0");
    }
}
