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

    @Test
    void aRejectionNeverShowsThePassword() {
        assertThat(AdvertFilter.v2(v2(1, "other"), Duration.ofSeconds(1), "secret").detail())
                .doesNotContain("other", "secret");
    }
}
