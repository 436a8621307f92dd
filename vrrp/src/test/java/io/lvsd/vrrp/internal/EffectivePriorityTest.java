package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.vrrp.internal.EffectivePriority.FileValue;
import io.lvsd.vrrp.internal.EffectivePriority.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class EffectivePriorityTest {
    @Test
    void negativeWeightsSubtractWhileFailing() {
        assertThat(EffectivePriority.compute(150, List.of(new Status("eth1", -50, true))).priority()).isEqualTo(150);
        assertThat(EffectivePriority.compute(150, List.of(new Status("eth1", -50, false), new Status("chk", -30, false)))
                .priority()).isEqualTo(70);
    }

    @Test
    void positiveWeightsAddWhileHealthy() {
        assertThat(EffectivePriority.compute(100, List.of(new Status("chk", 20, true))).priority()).isEqualTo(120);
        assertThat(EffectivePriority.compute(100, List.of(new Status("chk", 20, false))).priority()).isEqualTo(100);
    }

    @Test
    void weightZeroFailureMeansFault() {
        EffectivePriority.Result r = EffectivePriority.compute(150, List.of(new Status("eth1", 0, false)));
        assertThat(r.fault()).isTrue();
        assertThat(r.faultReason()).isEqualTo("eth1 is down");
        assertThat(EffectivePriority.compute(150, List.of(new FileValue("/run/x", 0, 3))).faultReason())
                .isEqualTo("/run/x holds 3");
    }

    @Test
    void filesMultiplyTheirValue() {
        assertThat(EffectivePriority.compute(100, List.of(new FileValue("/run/prio", 2, 10))).priority()).isEqualTo(120);
    }

    @Test
    void resultIsClampedToOneTo254AndOnlyAnUntouchedOwnerStays255() {
        assertThat(EffectivePriority.compute(100, List.of(new Status("a", -200, false))).priority()).isEqualTo(1);
        assertThat(EffectivePriority.compute(200, List.of(new Status("a", 100, true))).priority()).isEqualTo(254);
        assertThat(EffectivePriority.compute(255, List.of(new Status("a", -10, true))).priority()).isEqualTo(255);
        assertThat(EffectivePriority.compute(255, List.of(new Status("a", -10, false))).priority()).isEqualTo(245);
    }
}
