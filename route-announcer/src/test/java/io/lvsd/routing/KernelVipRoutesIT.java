package io.lvsd.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.NetNamespace;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** lvsd's VIP routes in a real kernel, in a network namespace of the test's own (root). */
class KernelVipRoutesIT {
    private static final InetAddress V4 = IpAddresses.parse("192.0.2.10");
    private static final InetAddress V6 = IpAddresses.parse("2001:db8::10");

    @Test
    void acceptAndAnnounceRoutesAreAddedListedAndDeletedAndForeignRoutesAreLeftAlone() throws Exception {
        Lab.requireRoot("adds routes in a network namespace");
        Lab.requireCommand("ip", "iproute2");
        try (Netns ns = new Netns("lvsd-rt")) {
            String d = ns.add("d");
            ns.exec("d", "ip", "route", "add", "blackhole", "192.0.2.99/32", "table", "4242", "proto", "static");
            NetNamespace.call(ns.name("d"), () -> {
                try (KernelVipRoutes r = KernelVipRoutes.open(4242, 245)) {
                    for (InetAddress v : new InetAddress[] {V4, V6}) {
                        r.add(VipRoutes.Kind.ACCEPT, v);
                        r.add(VipRoutes.Kind.ACCEPT, v); // again: no error
                        r.add(VipRoutes.Kind.ANNOUNCE, v);
                    }
                    assertThat(r.list(VipRoutes.Kind.ACCEPT)).containsExactlyInAnyOrder(V4, V6);
                    assertThat(r.list(VipRoutes.Kind.ANNOUNCE)).as("not the static route of table 4242")
                            .containsExactlyInAnyOrder(V4, V6);
                }
                return null;
            });
            assertThat(ns.exec("d", "ip", "route", "show", "table", "4242"))
                    .contains("blackhole 192.0.2.10 proto 245").contains("blackhole 192.0.2.99 proto static");
            assertThat(ns.exec("d", "ip", "route", "get", "192.0.2.10")).startsWith("local 192.0.2.10 dev lo");
            assertThat(ns.exec("d", "ip", "-6", "route", "show", "table", "4242")).contains("blackhole 2001:db8::10");
            NetNamespace.call(ns.name("d"), () -> {
                try (KernelVipRoutes r = KernelVipRoutes.open(4242, 245)) {
                    r.delete(VipRoutes.Kind.ANNOUNCE, V4);
                    r.delete(VipRoutes.Kind.ANNOUNCE, V4); // gone already: no error
                    r.delete(VipRoutes.Kind.ANNOUNCE, IpAddresses.parse("192.0.2.99")); // not ours: left alone
                    r.delete(VipRoutes.Kind.ACCEPT, V6);
                    assertThat(r.list(VipRoutes.Kind.ANNOUNCE)).containsExactly(V6);
                    assertThat(r.list(VipRoutes.Kind.ACCEPT)).containsExactly(V4);
                }
                return null;
            });
            assertThat(ns.exec("d", "ip", "route", "show", "table", "4242")).doesNotContain("192.0.2.10")
                    .contains("blackhole 192.0.2.99 proto static");
            assertThat(d).isNotEmpty();
        }
    }
}
