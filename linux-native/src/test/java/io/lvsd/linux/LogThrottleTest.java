package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
    @Test
    void theFirstAtOnceThenOnePerPeriodWithTheCountHeldBack() {
        LogThrottle t = new LogThrottle(Duration.ofMinutes(1));
        long s = 1_000_000_000L;
        long minute = Duration.ofMinutes(1).toNanos();
        assertThat(t.admit(s)).isZero();
        for (int k = 1; k <= 100; k++) {
            assertThat(t.admit(s + k * 100_000_000L)).isEqualTo(-1);
        }
        assertThat(t.admit(s + minute)).as("a minute later, with the count").isEqualTo(100);
        assertThat(t.admit(s + minute + 1)).isEqualTo(-1);
        assertThat(t.admit(s + 3 * minute)).isEqualTo(1);
        assertThat(LogThrottle.heldBack(0)).isEmpty();
        assertThat(LogThrottle.heldBack(3)).isEqualTo(" (and 3 more since the last such line)");
    }
}
