package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpPrefix;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The namespace's routing, as the {@code ip} commands the helper runs. */
class ProbeNamespaceTest {
    static final ProbeNamespace.Link LAN = new ProbeNamespace.Link(IpPrefix.parse("10.0.0.250/24"), "eth0", null);
    static final ProbeNamespace.Link WAN = new ProbeNamespace.Link(IpPrefix.parse("192.0.2.250/24"), "eth1",
            IpAddresses.parse("192.0.2.1"));
    static final ProbeNamespace.Link V6 = new ProbeNamespace.Link(IpPrefix.parse("fd00::250/64"), "eth0", null);

    static ThroughVip via(String vip, String real, ThroughVip.Encapsulation e, int port) {
        return new ThroughVip(IpAddresses.parse(vip), IpAddresses.parse(real), e, port);
    }

    @Test
    void theNamespaceSitsOnEachNetworkWithItsSpareAddress() {
        assertThat(ProbeNamespace.setupCommands(List.of(LAN, WAN, V6))).containsExactly(
                "link set lo up",
                "link set probe0 up", "addr add 10.0.0.250/24 dev probe0",
                "link set probe1 up", "addr add 192.0.2.250/24 dev probe1", "route add default via 192.0.2.1 dev probe1",
                "link set probe2 up", "addr add fd00::250/64 dev probe2 nodad");
    }

    @Test
    void drSendsTheVipViaTheRealServerOnItsOwnNetwork() throws IOException {
        assertThat(ProbeNamespace.routeCommands(via("10.0.0.1", "10.0.0.5", ThroughVip.Encapsulation.DR, 0), 1000,
                List.of(WAN, LAN))).containsExactly(
                "route add 10.0.0.1/32 via 10.0.0.5 dev probe1 table 1000",
                "rule add fwmark 1000 lookup 1000 pref 1000");
        assertThat(ProbeNamespace.routeCommands(via("fd00::1", "fd00::5", ThroughVip.Encapsulation.DR, 0), 1001,
                List.of(LAN, V6))).containsExactly(
                "route add fd00::1/128 via fd00::5 dev probe1 table 1001",
                "-6 rule add fwmark 1001 lookup 1001 pref 1001");
        assertThatThrownBy(() -> ProbeNamespace.routeCommands(via("10.0.0.1", "10.9.0.5", ThroughVip.Encapsulation.DR,
                0), 1000, List.of(LAN, WAN))).isInstanceOf(IOException.class).hasMessage("no through-vip.addresses"
                + " entry on the network of 10.9.0.5 (DR reaches a real server on its own network)");
    }

    @Test
    void tunSendsTheVipIntoATunnelOfTheRealServersType() throws IOException {
        assertThat(ProbeNamespace.routeCommands(via("10.0.0.1", "10.0.0.5", ThroughVip.Encapsulation.IPIP, 0), 1000,
                List.of(LAN))).containsExactly(
                "link add vip1000 type ipip local 10.0.0.250 remote 10.0.0.5",
                "link set vip1000 up", "route add 10.0.0.1/32 dev vip1000 table 1000",
                "rule add fwmark 1000 lookup 1000 pref 1000");
        // Beyond every network: from the one with a gateway.
        assertThat(ProbeNamespace.routeCommands(via("10.0.0.1", "198.51.100.5", ThroughVip.Encapsulation.GUE, 5555),
                1002, List.of(LAN, WAN))).startsWith(
                "link add vip1002 type ipip local 192.0.2.250 remote 198.51.100.5 encap gue encap-sport auto"
                        + " encap-dport 5555");
        assertThat(ProbeNamespace.routeCommands(via("10.0.0.1", "10.0.0.5", ThroughVip.Encapsulation.GRE, 0), 1003,
                List.of(LAN)).get(0)).isEqualTo("link add vip1003 type gre local 10.0.0.250 remote 10.0.0.5");
        assertThat(ProbeNamespace.routeCommands(via("fd00::1", "fd00::5", ThroughVip.Encapsulation.IPIP, 0), 1004,
                List.of(V6)).get(0)).isEqualTo("link add vip1004 type ip6tnl mode ip6ip6 local fd00::250 remote fd00::5"
                + " encaplimit none");
        assertThat(ProbeNamespace.routeCommands(via("fd00::1", "fd00::5", ThroughVip.Encapsulation.GRE, 0), 1005,
                List.of(V6)).get(0)).isEqualTo("link add vip1005 type ip6gre local fd00::250 remote fd00::5"
                + " encaplimit none");
        assertThatThrownBy(() -> ProbeNamespace.routeCommands(via("fd00::1", "fd01::5", ThroughVip.Encapsulation.IPIP,
                0), 1000, List.of(LAN, V6))).hasMessage("no through-vip.addresses entry of IPv6 on the network of"
                + " fd01::5 nor with a gateway");
    }

    @Test
    void aProbeThroughTheVipIsOfOneFamilyAndGueHasAPort() {
        assertThatThrownBy(() -> via("10.0.0.1", "fd00::5", ThroughVip.Encapsulation.DR, 0))
                .hasMessageContaining("different address families");
        assertThatThrownBy(() -> via("10.0.0.1", "10.0.0.5", ThroughVip.Encapsulation.GUE, 0))
                .hasMessage("tunnel port: 0 (expected 1-65535 for gue, else 0)");
    }
}
