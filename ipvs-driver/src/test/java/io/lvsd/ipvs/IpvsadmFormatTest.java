package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Save and list formats against ipvsadm 1.31's own output for the same table (captured in the
 * lab VM, src/test/resources/golden). The restore parser reads ipvsadm's save back.
 */
class IpvsadmFormatTest {
    static String golden(String name) throws Exception {
        try (InputStream in = IpvsadmFormatTest.class.getResourceAsStream("/golden/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static InMemoryIpvsClient restored(String rules) throws Exception {
        InMemoryIpvsClient c = new InMemoryIpvsClient();
        List<IpvsOp> ops = new ArrayList<>();
        for (IpvsadmFormat.Restore.Step s : IpvsadmFormat.parseRestore(rules).steps()) {
            ops.add(s.op());
        }
        ApplyResult r = c.apply(ops);
        assertThat(r.failures()).isEmpty();
        return c;
    }

    @Test
    void saveIsByteForByteWhatIpvsadmSavedForTheSameTable() throws Exception {
        String golden = golden("ipvsadm-Sn.txt");
        assertThat(IpvsadmFormat.save(restored(golden).dump())).isEqualTo(golden);
    }

    @Test
    void listIsIpvsadmsLayout() throws Exception {
        InMemoryIpvsClient c = restored(golden("ipvsadm-Sn.txt"));
        // ipvsadm -Sn does not save thresholds; the golden table had 100/50 on one server.
        List<IpvsOp> thresholds = List.of(new IpvsOp.EditDest(
                new ServiceKey.Addr(Protocol.TCP, new java.net.InetSocketAddress(io.lvsd.linux.net.IpAddresses.parse("10.0.0.1"), 80)),
                new Destination(new java.net.InetSocketAddress(io.lvsd.linux.net.IpAddresses.parse("10.1.0.3"), 80),
                        Forwarding.TUN, 65535, 100, 50, TunnelConfig.ipip())));
        assertThat(c.apply(thresholds).allApplied()).isTrue();
        assertThat(IpvsadmFormat.list(c.info(), c.dump(), IpvsadmFormat.ListMode.PLAIN)).isEqualTo(golden("ipvsadm-Ln.txt"));
        assertThat(IpvsadmFormat.list(c.info(), c.dump(), IpvsadmFormat.ListMode.STATS)).isEqualTo(golden("ipvsadm-Ln-stats.txt"));
        assertThat(IpvsadmFormat.list(c.info(), c.dump(), IpvsadmFormat.ListMode.RATE)).isEqualTo(golden("ipvsadm-Ln-rate.txt"));
    }

    @Test
    void restoreDefaultsAreIpvsadms() throws Exception {
        List<IpvsadmFormat.Restore.Step> steps = IpvsadmFormat.parseRestore("""
                -A -t 10.0.0.1:80
                -a -t 10.0.0.1:80 -r 10.0.0.5
                -A -t 10.0.0.2:80 -s rr -p
                --clear
                """).steps();
        VirtualService s = ((IpvsOp.AddService) steps.get(0).op()).service();
        assertThat(s.scheduler()).isEqualTo("wlc");
        Destination d = ((IpvsOp.AddDest) steps.get(1).op()).destination();
        assertThat(d.forwarding()).isEqualTo(Forwarding.DR);
        assertThat(d.weight()).isEqualTo(1);
        assertThat(d.address().getPort()).isEqualTo(80);
        assertThat(((IpvsOp.AddService) steps.get(2).op()).service().timeout()).isEqualTo(360);
        assertThat(steps.get(3).flush()).isTrue();
        assertThat(steps.get(3).line()).isEqualTo(4);
    }

    @Test
    void everyBadLineIsReportedWithItsNumber() {
        assertThatThrownBy(() -> IpvsadmFormat.parseRestore("""
                -A -t 10.0.0.1:80 -s rr
                -A -t 10.0.0.1:99999 -s rr
                # a comment

                -a -t 10.0.0.1:80 -r 10.0.0.5:80 -w 70000
                -Z -t 10.0.0.1:80
                -A -u 10.0.0.1:53 -s rr -M 255.255.255.0
                -A -t 10.0.0.3:80 -o
                """)).isInstanceOfSatisfying(IpvsadmFormat.RestoreException.class, e -> assertThat(e.problems()).containsExactly(
                "line 2: -t/-u: \"10.0.0.1:99999\" has a bad port (expected 0-65535)",
                "line 5: -w: \"70000\" (expected 0-65535)",
                "line 6: -Z: unknown option",
                "line 7: -M: only with -p (persistence)",
                "line 8: -o: one-packet scheduling is only for UDP services"));
    }

    @Test
    void badTunnelOptionsNameTheOption() {
        // Found by IpvsadmRestorePropertyTest: these problems named TunnelConfig's fields (port, checksum).
        assertThatThrownBy(() -> IpvsadmFormat.parseRestore("""
                -A -t 10.0.0.4:80 -s rr
                -a -t 10.0.0.4:80 -r 10.1.0.6:80 -i --tun-type gue
                -a -t 10.0.0.4:80 -r 10.1.0.7:80 -i --tun-type gre --tun-port 6081
                -a -t 10.0.0.4:80 -r 10.1.0.8:80 -i --tun-port 6082
                -a -t 10.0.0.4:80 -r 10.1.0.9:80 -i --tun-type gre --tun-remcsum
                -a -t 10.0.0.4:80 -r 10.1.0.10:80 -i --tun-csum
                """)).isInstanceOfSatisfying(IpvsadmFormat.RestoreException.class, e -> assertThat(e.problems()).containsExactly(
                "line 2: --tun-type: gue without --tun-port (expected a port 1-65535)",
                "line 3: --tun-port: 6081 with --tun-type gre (expected only with gue)",
                "line 4: --tun-port: 6082 with --tun-type ipip (expected only with gue)",
                "line 5: --tun-remcsum: with --tun-type gre (expected gue)",
                "line 6: --tun-csum: with --tun-type ipip (expected gue or gre)"));
    }

    @Test
    void largeNumbersScaleLikeIpvsadm() {
        assertThat(IpvsadmFormat.largeNumber(99_999_999)).isEqualTo("99999999");
        assertThat(IpvsadmFormat.largeNumber(100_000_000)).isEqualTo(" 100000K");
        assertThat(IpvsadmFormat.largeNumber(12_345_678_901L)).isEqualTo("  12345M");
    }
}
