package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory table refuses what the kernel refuses, with the kernel's errno. */
class InMemoryIpvsClientTest {
    private final InMemoryIpvsClient k = new InMemoryIpvsClient();
    private final ServiceKey web = ReconcilerTest.svc("10.0.0.1", 80);

    private ApplyResult.Outcome one(IpvsOp op) {
        return k.apply(List.of(op)).outcomes().get(0);
    }

    @Test
    void duplicateServiceIsEexistAndMissingIsEsrch() {
        assertThat(one(new IpvsOp.AddService(VirtualService.of(web, "wlc"))).applied()).isTrue();
        assertThat(one(new IpvsOp.AddService(VirtualService.of(web, "wlc"))).errnoName()).isEqualTo("EEXIST");
        assertThat(one(new IpvsOp.DeleteService(ReconcilerTest.svc("10.0.0.9", 80))).errnoName()).isEqualTo("ESRCH");
        assertThat(one(new IpvsOp.AddDest(ReconcilerTest.svc("10.0.0.9", 80), ReconcilerTest.dest("10.1.0.1", 1))).errnoName())
                .isEqualTo("ESRCH");
    }

    @Test
    void unknownSchedulerIsEnoent() {
        ApplyResult.Outcome o = one(new IpvsOp.AddService(VirtualService.of(web, "nosuch")));
        assertThat(o.describe()).isEqualTo("NEW_SERVICE tcp 10.0.0.1:80: ENOENT (No such file or directory)");
    }

    @Test
    void destinationRules() {
        one(new IpvsOp.AddService(VirtualService.of(web, "wlc")));
        assertThat(one(new IpvsOp.AddDest(web, ReconcilerTest.dest("10.1.0.1", 1))).applied()).isTrue();
        assertThat(one(new IpvsOp.AddDest(web, ReconcilerTest.dest("10.1.0.1", 1))).errnoName()).isEqualTo("EEXIST");
        assertThat(one(new IpvsOp.EditDest(web, ReconcilerTest.dest("10.1.0.2", 1))).errnoName()).isEqualTo("ENOENT");
        assertThat(one(new IpvsOp.DeleteDest(web, new InetSocketAddress(IpAddresses.parse("10.1.0.2"), 80))).errnoName())
                .isEqualTo("ENOENT");
        Destination badThresholds = new Destination(new InetSocketAddress(IpAddresses.parse("10.1.0.3"), 80), Forwarding.NAT,
                1, 0, 5, TunnelConfig.ipip());
        assertThat(one(new IpvsOp.AddDest(web, badThresholds)).errnoName()).isEqualTo("ERANGE");
        Destination v6 = Destination.of(new InetSocketAddress(IpAddresses.parse("2001:db8::1"), 80), Forwarding.NAT, 1);
        assertThat(one(new IpvsOp.AddDest(web, v6)).errnoName()).isEqualTo("EINVAL");
        assertThat(one(new IpvsOp.AddDest(web, Destination.of(v6.address(), Forwarding.TUN, 1))).applied()).isTrue();
    }

    @Test
    void aBatchReportsEveryOperationInOrder() {
        ApplyResult r = k.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddDest(web, ReconcilerTest.dest("10.1.0.1", 1))));
        assertThat(r.outcomes()).extracting(ApplyResult.Outcome::applied).containsExactly(true, false, true);
        assertThat(r.failures()).singleElement().extracting(o -> o.op().kind()).isEqualTo("new_service");
    }
}
