package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class IpvsadmOrderTest {
    static ServiceState s(String addr) {
        return new ServiceState(VirtualService.of(ReconcilerTest.svc(addr, 80), "rr"), Stats.ZERO, List.of());
    }

    @Test
    void wrappedComparisonIsNotTransitiveAndTheMergeOrderDecides() {
        // 100 < 200 and 200 < 10 (0xC8.. - 0x0A.. wraps negative), but 10 < 100.
        assertThat(IpvsadmOrder.SERVICES.compare(ReconcilerTest.svc("100.0.0.1", 80), ReconcilerTest.svc("200.0.0.1", 80))).isNegative();
        assertThat(IpvsadmOrder.SERVICES.compare(ReconcilerTest.svc("200.0.0.1", 80), ReconcilerTest.svc("10.0.0.1", 80))).isNegative();
        assertThat(IpvsadmOrder.SERVICES.compare(ReconcilerTest.svc("10.0.0.1", 80), ReconcilerTest.svc("100.0.0.1", 80))).isNegative();
        // So the result depends on the input (the kernel's dump order), as it does for ipvsadm.
        assertThat(IpvsadmOrder.sort(List.of(s("200.0.0.1"), s("10.0.0.1"), s("100.0.0.1"))))
                .extracting(x -> x.service().key().describe())
                .containsExactly("tcp 200.0.0.1:80", "tcp 10.0.0.1:80", "tcp 100.0.0.1:80");
        assertThat(IpvsadmOrder.sort(List.of(s("10.0.0.1"), s("200.0.0.1"), s("100.0.0.1"))))
                .extracting(x -> x.service().key().describe())
                .containsExactly("tcp 10.0.0.1:80", "tcp 100.0.0.1:80", "tcp 200.0.0.1:80");
    }

    @Test
    void mergeSortIsStableWithTheSmallerHalfFirst() {
        assertThat(IpvsadmOrder.mergeSort(List.of(5, 3, 9, 1, 7), Integer::compare)).containsExactly(1, 3, 5, 7, 9);
        assertThat(IpvsadmOrder.mergeSort(List.of("b1", "a", "b2"), (x, y) -> x.charAt(0) - y.charAt(0)))
                .containsExactly("a", "b1", "b2");
    }
}
