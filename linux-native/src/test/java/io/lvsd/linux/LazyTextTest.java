package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpPrefix;
import org.junit.jupiter.api.Test;

class LazyTextTest {
    @Test
    void joinsItsPartsWithAddressesInTheirUsualForm() {
        assertThat(new LazyText("raw IPV4 protocol 112 on eth0", " to ", IpAddresses.parse("224.0.0.18")))
                .hasToString("raw IPV4 protocol 112 on eth0 to 224.0.0.18");
        assertThat(new LazyText("RTM_NEWADDR ", IpPrefix.parse("10.0.0.1/24"), " on interface ", 3))
                .hasToString("RTM_NEWADDR 10.0.0.1/24 on interface 3");
    }
}
