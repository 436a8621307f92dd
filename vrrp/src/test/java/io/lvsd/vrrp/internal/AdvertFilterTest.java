package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 3768 §7.1's receive checks of a v2 advert against the configuration. */
class AdvertFilterTest {
    static VrrpPacket v2(int intervalSeconds, String password) {
        return new VrrpPacket(2, 51, 100, intervalSeconds, List.of(IpAddresses.parse("10.0.0.100")),
                password == null ? 0 : VrrpCodec.AUTH_SIMPLE, password == null ? null : VrrpCodec.password(password));
    }

    @Test
    void aMatchingAdvertPasses() {
        assertThat(AdvertFilter.v2(v2(1, "secret"), Duration.ofSeconds(1), "secret")).isNull();
        assertThat(AdvertFilter.v2(v2(3, null), Duration.ofSeconds(3), null)).isNull();
    }

    @Test
    void eachMismatchIsNamedByItsDropReason() {
        assertThat(AdvertFilter.v2(v2(1, null), Duration.ofSeconds(1), "secret"))
                .isEqualTo(new AdvertFilter.Rejection(DropReason.INVALID_AUTH_TYPE, "auth type 0 (expected 1)"));
        assertThat(AdvertFilter.v2(v2(1, "other"), Duration.ofSeconds(1), "secret"))
                .isEqualTo(new AdvertFilter.Rejection(DropReason.AUTH_FAILURE, "password mismatch"));
        assertThat(AdvertFilter.v2(v2(2, "secret"), Duration.ofSeconds(1), "secret"))
                .isEqualTo(new AdvertFilter.Rejection(DropReason.ADVERTISE_INTERVAL_ERROR,
                        "advert interval 2s (expected 1s)"));
    }

    static io.lvsd.vrrp.VrrpInstanceConfig unicast(List<String> peers, boolean check, int minTtl) {
        return new io.lvsd.vrrp.VrrpInstanceConfig("VI_1", "eth0", 51, 100, 3, Duration.ofSeconds(1), true,
                Duration.ZERO, null, peers.stream().map(IpAddresses::parse).toList(), check, minTtl, null,
                List.of(new io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress(io.lvsd.linux.net.IpPrefix.parse(
                        "10.0.0.100/24"), null)), true, io.lvsd.vrrp.VrrpInstanceConfig.Track.none(),
                io.lvsd.vrrp.NotifyCommands.none());
    }

    @Test
    void unicastSourcesAreCheckedAgainstThePeersAndTtlAgainstTheMinimum() {
        var c = unicast(List.of("10.0.0.12", "fe80::12"), true, 0);
        assertThat(AdvertFilter.unicast(c, IpAddresses.parse("10.0.0.12"), 1)).isNull();
        assertThat(AdvertFilter.unicast(c, IpAddresses.parse("10.0.0.13"), 255)).isEqualTo(new AdvertFilter.Rejection(
                DropReason.UNICAST_SOURCE_ERROR, "source 10.0.0.13 (expected one of unicast-peers)"));
        assertThat(AdvertFilter.unicast(unicast(List.of("10.0.0.12"), false, 0), IpAddresses.parse("10.0.0.13"), 1))
                .as("unicast-peers-check = false").isNull();
        assertThat(AdvertFilter.unicast(unicast(List.of("10.0.0.12"), true, 255), IpAddresses.parse("10.0.0.12"), 254))
                .isEqualTo(new AdvertFilter.Rejection(DropReason.IP_TTL_ERROR,
                        "TTL/hop limit 254 (expected at least 255, unicast-min-ttl)"));
        assertThat(AdvertFilter.unicast(unicast(List.of(), true, 255), IpAddresses.parse("10.0.0.13"), 1))
                .as("multicast mode: the codec's TTL-255 rule applies, not these").isNull();
    }

    @Test
    void anIpv6PeerMatchesWhateverScopeTheSourceCarries() throws Exception {
        var c = unicast(List.of("fe80::12"), true, 0);
        java.net.InetAddress scoped = java.net.Inet6Address.getByAddress(null,
                IpAddresses.parse("fe80::12").getAddress(), 2);
        assertThat(AdvertFilter.unicast(c, scoped, 255)).isNull();
    }

    @Test
    void aRejectionNeverShowsThePassword() {
        assertThat(AdvertFilter.v2(v2(1, "other"), Duration.ofSeconds(1), "secret").detail())
                .doesNotContain("other", "secret");
    }
}
