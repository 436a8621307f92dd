package io.lvsd.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutePlanTest {
    private static final InetAddress A = IpAddresses.parse("192.0.2.10");
    private static final InetAddress B = IpAddresses.parse("192.0.2.11");
    private static final InetAddress C = IpAddresses.parse("2001:db8::10");

    @Test
    void nothingToDoWhenTheKernelHasWhatIsWanted() {
        assertThat(RoutePlan.plan(List.of(A, B), List.of(A), Set.of(A, B), Set.of(A))).isEmpty();
    }

    @Test
    void withdrawalsComeFirstAndAnnouncementsLastAfterTheirAcceptRoute() {
        List<RoutePlan.Op> ops = RoutePlan.plan(List.of(B, C), List.of(B, C), Set.of(A, B), Set.of(A, B));
        assertThat(ops).extracting(Object::toString).containsExactly(
                "delete announce 192.0.2.10",
                "add accept 2001:db8:0:0:0:0:0:10",
                "delete accept 192.0.2.10",
                "add announce 2001:db8:0:0:0:0:0:10");
    }

    @Test
    void aVipIsNeverAnnouncedWithoutBeingAccepted() {
        assertThat(RoutePlan.plan(List.of(), List.of(A), Set.of(), Set.of(A))).extracting(Object::toString)
                .containsExactly("delete announce 192.0.2.10");
    }

    @Test
    void applyStopsAtTheFirstFailureSoThatNoAnnouncementRunsAheadOfItsAcceptRoute() throws Exception {
        InMemoryVipRoutes routes = new InMemoryVipRoutes();
        List<RoutePlan.Op> ops = RoutePlan.plan(List.of(A), List.of(A), Set.of(), Set.of());
        routes.fail("Operation not permitted");
        assertThatThrownBy(() -> RoutePlan.apply(routes, ops))
                .hasMessage("add accept 192.0.2.10: Operation not permitted");
        routes.fail(null);
        assertThat(routes.list(VipRoutes.Kind.ANNOUNCE)).isEmpty();
        assertThat(RoutePlan.apply(routes, ops)).hasSize(2);
        assertThat(routes.operations()).containsExactly("add accept 192.0.2.10", "add announce 192.0.2.10");
    }
}
