package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class IpAddressesTest {
    @Test
    void parsesIpv4AndIpv6Literals() {
        assertThat(IpAddresses.parse("192.0.2.1").getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(IpAddresses.family(IpAddresses.parse("2001:db8::1"))).isEqualTo(IpFamily.IPV6);
    }

    @Test
    void rejectsHostNamesAndMalformedQuads() {
        for (String bad : new String[] {"localhost", "example.com", "256.1.1.1", "1.2.3", "01.2.3.4", "fe80::1%eth0", ""}) {
            assertThatThrownBy(() -> IpAddresses.parse(bad)).as(bad).hasMessage("\"" + bad + "\" is not an IP address");
        }
    }

    @Test
    void parsesEndpointsInBothFamilies() {
        InetSocketAddress v4 = IpAddresses.parseEndpoint("10.1.1.2:8080", -1);
        assertThat(IpAddresses.format(v4)).isEqualTo("10.1.1.2:8080");
        InetSocketAddress v6 = IpAddresses.parseEndpoint("[2001:db8::5]:443", -1);
        assertThat(IpAddresses.format(v6)).isEqualTo("[2001:db8::5]:443");
        assertThat(IpAddresses.parseEndpoint("10.1.1.2", 80).getPort()).isEqualTo(80);
        assertThat(IpAddresses.parseEndpoint("2001:db8::5", 443).getPort()).isEqualTo(443);
    }

    @Test
    void endpointErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> IpAddresses.parseEndpoint("10.1.1.2", -1)).hasMessage("\"10.1.1.2\" has no port (expected address:port)");
        assertThatThrownBy(() -> IpAddresses.parseEndpoint("10.1.1.2:99999", -1)).hasMessage("\"10.1.1.2:99999\" has a bad port (expected 0-65535)");
        assertThatThrownBy(() -> IpAddresses.parseEndpoint("[::1:80", -1)).hasMessage("\"[::1:80\" is not an address:port (missing ])");
    }

    @Test
    void prefixesDefaultToAHostRoute() {
        assertThat(IpPrefix.parse("192.168.1.110/24").prefixLength()).isEqualTo(24);
        assertThat(IpPrefix.parse("192.168.1.110").prefixLength()).isEqualTo(32);
        assertThat(IpPrefix.parse("2001:db8::1").prefixLength()).isEqualTo(128);
        assertThatThrownBy(() -> IpPrefix.parse("10.0.0.1/33")).hasMessage("\"10.0.0.1/33\" has a bad prefix length (expected 0-32)");
    }

    @Test
    void ipv6TextIsTheRfc5952FormInetNtopWrites() {
        assertThat(IpAddresses.text(IpAddresses.parse("2001:0db8:0000:0000:0000:0000:0000:0010"))).isEqualTo("2001:db8::10");
        assertThat(IpAddresses.text(IpAddresses.parse("::1"))).isEqualTo("::1");
        assertThat(IpAddresses.text(IpAddresses.parse("::"))).isEqualTo("::");
        assertThat(IpAddresses.text(IpAddresses.parse("fe80::"))).isEqualTo("fe80::");
        assertThat(IpAddresses.text(IpAddresses.parse("2001:db8:0:1:0:0:0:1"))).isEqualTo("2001:db8:0:1::1");
        assertThat(IpAddresses.text(IpAddresses.parse("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1");
        assertThat(IpAddresses.text(IpAddresses.parse("2001:db8:1:1:1:1:0:1"))).isEqualTo("2001:db8:1:1:1:1:0:1");
        assertThat(IpAddresses.text(IpAddresses.parse("::192.0.2.1"))).isEqualTo("::192.0.2.1");
    }
}
