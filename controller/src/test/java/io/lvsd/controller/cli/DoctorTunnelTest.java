package io.lvsd.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.doctor.DirectorSpec;
import io.lvsd.doctor.Encapsulation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TUN real server's tunnel, from the configuration to the doctor's probe; and real-server's tunnel options. */
class DoctorTunnelTest {
    @TempDir
    Path dir;

    @Test
    void eachRealServerIsProbedInItsOwnTunnel() {
        Path f = TestConfigs.write(dir, "tun.conf", """
                virtual-servers = [
                  { name = web, address = "10.0.0.100:80", forwarding = tun, tunnel { type = gue, port = 5555 },
                    real-servers = [
                      { address = "10.0.1.1:80" }
                      { address = "10.0.1.2:80", tunnel { type = gre, port = null, checksum = csum } }
                      { address = "10.0.1.3:80", tunnel { type = ipip, port = null } }
                    ] }
                  { name = web6, address = "[2001:db8::100]:80", forwarding = tun,
                    real-servers = [{ address = "[2001:db8::21]:80" }] }
                  { name = dr, address = "10.0.0.101:80", forwarding = dr, real-servers = [{ address = "10.0.1.4:80" }] }
                ]
                """);
        LoadResult r = ConfigLoader.load(f);
        assertThat(r.errors()).isEmpty();
        List<DirectorSpec.Service> s = DoctorCommand.spec(r.config()).services();
        assertThat(s.get(0).realServers()).extracting(DirectorSpec.Backend::tunnel).containsExactly(
                new Encapsulation.Gue(5555, false), new Encapsulation.Gre(true), Encapsulation.IPIP);
        assertThat(s.get(1).realServers().get(0).encapsulation()).isEqualTo(Encapsulation.IPIP);
        assertThat(s.get(2).realServers().get(0).tunnel()).as("DR has no tunnel").isNull();
    }

    @Test
    void realServerTunnelOptionsAreCheckedBeforeTheHostIsTouched() {
        CliTest.Run noPort = CliTest.lvsd("real-server", "check", "--vip", "192.0.2.10", "--forwarding", "tun",
                "--tun-type", "gue");
        assertThat(noPort.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(noPort.err()).isEqualTo("lvsd real-server check: --tun-port: missing (expected 1-65535 with --tun-type"
                + " gue: the port the director sends GUE to)\n");
        CliTest.Run odd = CliTest.lvsd("real-server", "setup", "--vip", "192.0.2.10", "--forwarding", "tun", "--tun-type",
                "vxlan", "--dry-run");
        assertThat(odd.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(odd.err()).isEqualTo("lvsd real-server setup: --tun-type: vxlan (expected ipip, gue or gre)\n");
        CliTest.Run dr = CliTest.lvsd("real-server", "check", "--vip", "192.0.2.10", "--forwarding", "dr", "--tun-type",
                "gre");
        assertThat(dr.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(dr.err()).isEqualTo("lvsd real-server check: --tun-type: gre (expected only with --forwarding tun)\n");
    }
}
