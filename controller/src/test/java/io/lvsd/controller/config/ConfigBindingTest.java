package io.lvsd.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.arp.AnnounceConfig;
import io.lvsd.controller.config.VirtualServerConfig.OnFailure;
import io.lvsd.healthcheck.CheckConfig;
import io.lvsd.healthcheck.CheckSpec;
import io.lvsd.healthcheck.CheckType;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.Scheduler;
import io.lvsd.ipvs.SchedulerFlag;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every section binds to its records, with the values the file gives and the defaults it omits. */
class ConfigBindingTest {
    @TempDir
    Path dir;

    @Test
    void anEmptyFileBindsToTheDefaults() {
        LvsdConfig c = TestConfigs.valid(dir, "");
        assertThat(c.director().name()).isNotBlank();
        assertThat(c.admin().listen().getPort()).isEqualTo(9180);
        assertThat(c.admin().listen().getAddress().isLoopbackAddress()).isTrue();
        assertThat(c.admin().allowRemote()).isFalse();
        assertThat(c.scripts()).isEqualTo(new ScriptsConfig("lvsd-script", Duration.ofSeconds(10), 8));
        assertThat(c.vrrp().instances()).isEmpty();
        assertThat(c.vrrp().realtimePriority()).as("the ordinary scheduling policy").isZero();
        assertThat(TestConfigs.valid(dir, "vrrp.realtime-priority = 10\n").vrrp().realtimePriority()).isEqualTo(10);
        assertThat(c.virtualServers()).isEmpty();
        assertThat(c.syncDaemon().enabled()).isFalse();
        assertThat(c.syncDaemon().port()).isEqualTo(8848);
        assertThat(c.ipvs().driftCheckInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.ipvs().timeouts().tcp()).isNull();
    }

    @Test
    void directorAdminScriptsAndIpvsBind() {
        LvsdConfig c = TestConfigs.valid(dir, """
                director { name = lvs2 }
                admin { listen = "0.0.0.0:9200", allow-remote = true }
                scripts { user = nobody, timeout = 30s, max-concurrent = 4 }
                ipvs { timeouts { tcp = 900s, tcp-fin = 120s, udp = 300s }, drift-check-interval = 10s }
                """);
        assertThat(c.director().name()).isEqualTo("lvs2");
        assertThat(c.admin().listen().getPort()).isEqualTo(9200);
        assertThat(c.admin().allowRemote()).isTrue();
        assertThat(c.scripts()).isEqualTo(new ScriptsConfig("nobody", Duration.ofSeconds(30), 4));
        assertThat(c.ipvs().timeouts().tcp()).isEqualTo(Duration.ofSeconds(900));
        assertThat(c.ipvs().timeouts().tcpFin()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.ipvs().timeouts().udp()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.ipvs().driftCheckInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void vrrpInstanceBindsEveryKey() {
        LvsdConfig c = TestConfigs.valid(dir, """
                scripts.user = nobody
                vrrp {
                  track-scripts {
                    chk_haproxy { command = "/usr/bin/pgrep haproxy", interval = 3s, weight = -20, rise = 2, fall = 3 }
                  }
                  instances {
                    VI_1 {
                      interface = eth0
                      virtual-router-id = 51
                      priority = 150
                      version = 2
                      advert-interval = 2s
                      preempt = false
                      preempt-delay = 30s
                      unicast-source = 10.0.0.1
                      unicast-peers = [10.0.0.2, 10.0.0.3]
                      authentication { password = secret1 }
                      virtual-addresses = ["192.168.1.110/24", { address = "192.168.2.110/24", interface = eth1 }]
                      v3-checksum-pseudo-header = false
                      track {
                        interfaces = [eth1, { name = eth2, weight = -30 }]
                        scripts = [chk_haproxy, { name = chk_haproxy, weight = -5 }]
                        files = [ { path = /run/lvsd/prio, weight = 2 } ]
                      }
                      garp { delay = 2s, repeat = 3, refresh = 60s, refresh-repeat = 2 }
                      notify { master = "/bin/notify master", backup = ["/bin/notify", "backup"], fault = null, stop = "/bin/stop", any = "/bin/any" }
                    }
                  }
                }
                """);
        VrrpInstanceConfig i = c.vrrp().instances().get("VI_1");
        assertThat(i.interfaceName()).isEqualTo("eth0");
        assertThat(i.virtualRouterId()).isEqualTo(51);
        assertThat(i.priority()).isEqualTo(150);
        assertThat(i.version()).isEqualTo(2);
        assertThat(i.advertInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(i.preempt()).isFalse();
        assertThat(i.preemptDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(i.unicastSource().getHostAddress()).isEqualTo("10.0.0.1");
        assertThat(i.unicastPeers()).extracting(a -> a.getHostAddress()).containsExactly("10.0.0.2", "10.0.0.3");
        assertThat(i.authPassword()).isEqualTo("secret1");
        assertThat(i.virtualAddresses()).extracting(a -> a.prefix().toString() + "@" + a.interfaceName())
                .containsExactly("192.168.1.110/24@null", "192.168.2.110/24@eth1");
        assertThat(i.family()).isEqualTo(IpFamily.IPV4);
        assertThat(i.v3ChecksumPseudoHeader()).isFalse();
        assertThat(i.track().interfaces()).containsExactly(
                new VrrpInstanceConfig.TrackedInterface("eth1", 0), new VrrpInstanceConfig.TrackedInterface("eth2", -30));
        assertThat(i.track().scripts()).containsExactly(
                new VrrpInstanceConfig.TrackedScript("chk_haproxy", null), new VrrpInstanceConfig.TrackedScript("chk_haproxy", -5));
        assertThat(i.track().files()).containsExactly(new VrrpInstanceConfig.TrackedFile(Path.of("/run/lvsd/prio"), 2));
        assertThat(i.notifyCommands().master().argv()).containsExactly("/bin/notify", "master");
        assertThat(i.notifyCommands().backup().argv()).containsExactly("/bin/notify", "backup");
        assertThat(i.notifyCommands().fault()).isNull();
        assertThat(i.notifyCommands().stop().argv()).containsExactly("/bin/stop");
        assertThat(i.notifyCommands().any().argv()).containsExactly("/bin/any");
        assertThat(c.announce().get("VI_1")).isEqualTo(new AnnounceConfig(Duration.ofSeconds(2), 3, Duration.ofSeconds(60), 2));
        var ts = c.vrrp().trackScripts().get("chk_haproxy");
        assertThat(ts.command().argv()).containsExactly("/usr/bin/pgrep", "haproxy");
        assertThat(ts.interval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ts.timeout()).isEqualTo(Duration.ofSeconds(10)); // scripts.timeout
        assertThat(ts.weight()).isEqualTo(-20);
        assertThat(ts.rise()).isEqualTo(2);
        assertThat(ts.fall()).isEqualTo(3);
    }

    @Test
    void vrrpDefaultsAndSyncGroupsInBothForms() {
        LvsdConfig c = TestConfigs.valid(dir, """
                vrrp {
                  instances {
                    A { interface = eth0, virtual-router-id = 1, virtual-addresses = ["10.0.0.1"] }
                    B { interface = eth1, virtual-router-id = 2, virtual-addresses = ["2001:db8::1/64"] }
                    C { interface = eth2, virtual-router-id = 3, virtual-addresses = ["10.0.2.1/24"] }
                    D { interface = eth3, virtual-router-id = 4, virtual-addresses = ["10.0.3.1/24"] }
                  }
                  sync-groups {
                    G1 = [A, B]
                    G2 { instances = [C, D], notify { master = "/bin/g2 master" } }
                  }
                }
                """);
        VrrpInstanceConfig a = c.vrrp().instances().get("A");
        assertThat(a.priority()).isEqualTo(100);
        assertThat(a.version()).isEqualTo(3);
        assertThat(a.advertInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(a.preempt()).isTrue();
        assertThat(a.unicastPeers()).isEmpty();
        assertThat(a.authPassword()).isNull();
        assertThat(a.v3ChecksumPseudoHeader()).isTrue();
        assertThat(a.virtualAddresses().get(0).prefix().prefixLength()).isEqualTo(32);
        assertThat(c.vrrp().instances().get("B").family()).isEqualTo(IpFamily.IPV6);
        assertThat(c.announce().get("A")).isEqualTo(new AnnounceConfig(Duration.ofSeconds(5), 5, Duration.ZERO, 1));
        assertThat(c.vrrp().instances().keySet()).containsExactly("A", "B", "C", "D");
        assertThat(c.vrrp().syncGroups().get("G1").instances()).containsExactly("A", "B");
        assertThat(c.vrrp().syncGroups().get("G2").instances()).containsExactly("C", "D");
        assertThat(c.vrrp().syncGroups().get("G2").notifyCommands().master().argv()).containsExactly("/bin/g2", "master");
    }

    @Test
    void virtualServerBindsEveryKey() {
        LvsdConfig c = TestConfigs.valid(dir, """
                scripts.user = nobody
                virtual-servers = [
                  {
                    name = dns
                    address = "192.168.1.110:53"
                    protocol = udp
                    scheduler = sh
                    scheduler-flags = [sh-fallback, sh-port]
                    forwarding = nat
                    persistence { timeout = 300s, netmask = "255.255.255.0", engine = sip }
                    one-packet = true
                    on-failure = remove
                    drain-timeout = 60s
                    quorum { weight = 2, hysteresis = 1, up = "/bin/up", down = "/bin/down" }
                    sorry-server = "10.1.1.9:53"
                    check { type = dns, interval = 2s, timeout = 1s, retries = 3, retry-delay = 500ms, rise = 2,
                            warmup = true, alpha = true, dns { name = example.org, type = a, answer = "192.0.2.1" } }
                    real-servers = [
                      { address = "10.1.1.2:53", weight = 3, upper-threshold = 100, lower-threshold = 50,
                        notify { up = "/bin/rs up", down = "/bin/rs down" } }
                      { address = "10.1.1.3", weight = 0 }
                    ]
                  }
                ]
                """);
        VirtualServerConfig v = c.virtualServers().get(0);
        assertThat(v.name()).isEqualTo("dns");
        assertThat(v.address().getPort()).isEqualTo(53);
        assertThat(v.fwmark()).isNull();
        assertThat(v.family()).isEqualTo(IpFamily.IPV4);
        assertThat(v.protocol()).isEqualTo(Protocol.UDP);
        assertThat(v.scheduler()).isEqualTo(Scheduler.SH);
        assertThat(v.schedulerFlags()).containsExactlyInAnyOrder(SchedulerFlag.SH_FALLBACK, SchedulerFlag.SH_PORT);
        assertThat(v.forwarding()).isEqualTo(Forwarding.NAT);
        assertThat(v.persistence()).isEqualTo(new VirtualServerConfig.Persistence(Duration.ofSeconds(300), 24, "sip"));
        assertThat(v.onePacket()).isTrue();
        assertThat(v.onFailure()).isEqualTo(OnFailure.REMOVE);
        assertThat(v.drainTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(v.quorum().weight()).isEqualTo(2);
        assertThat(v.quorum().hysteresis()).isEqualTo(1);
        assertThat(v.quorum().up().argv()).containsExactly("/bin/up");
        assertThat(v.sorryServer().getPort()).isEqualTo(53);
        CheckConfig check = v.check();
        assertThat(check.type()).isEqualTo(CheckType.DNS);
        assertThat(check.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(check.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(check.retries()).isEqualTo(3);
        assertThat(check.retryDelay()).isEqualTo(Duration.ofMillis(500));
        assertThat(check.rise()).isEqualTo(2);
        assertThat(check.warmup()).isTrue();
        assertThat(check.alpha()).isTrue();
        assertThat(check.spec()).isEqualTo(new CheckSpec.Dns("example.org", "A", "192.0.2.1"));
        RealServerConfig r0 = v.realServers().get(0);
        assertThat(r0.weight()).isEqualTo(3);
        assertThat(r0.upperThreshold()).isEqualTo(100);
        assertThat(r0.lowerThreshold()).isEqualTo(50);
        assertThat(r0.forwarding()).isEqualTo(Forwarding.NAT);
        assertThat(r0.check()).isSameAs(check);
        assertThat(r0.notifyUp().argv()).containsExactly("/bin/rs", "up");
        assertThat(v.realServers().get(1).address().getPort()).isEqualTo(53); // the virtual port
        assertThat(v.realServers().get(1).weight()).isZero();
    }

    @Test
    void fwmarkServicesTunnelsAndPerRealServerOverrides() {
        LvsdConfig c = TestConfigs.valid(dir, """
                virtual-servers = [
                  {
                    name = marked
                    fwmark = 7
                    family = ipv6
                    scheduler = mh
                    scheduler-flags = [mh-port]
                    forwarding = tun
                    tunnel { type = gue, port = 6080, checksum = remcsum }
                    check { type = http, http { path = "/h", status = [200, "300-399"], body-regex = "ok", max-bytes = 4096, version = "1.0" } }
                    real-servers = [
                      { address = "[2001:db8::10]:80", tunnel { type = gre, port = null, checksum = csum } }
                      { address = "[2001:db8::11]:80", check { type = tcp, connect-port = 8080 } }
                    ]
                  }
                ]
                """);
        VirtualServerConfig v = c.virtualServers().get(0);
        assertThat(v.fwmark()).isEqualTo(7L);
        assertThat(v.address()).isNull();
        assertThat(v.family()).isEqualTo(IpFamily.IPV6);
        assertThat(v.tunnel()).isEqualTo(new TunnelConfig(TunnelConfig.Type.GUE, 6080, TunnelConfig.Checksum.REMCSUM));
        CheckSpec.Http http = (CheckSpec.Http) v.check().spec();
        assertThat(http.path()).isEqualTo("/h");
        assertThat(http.accepts(200)).isTrue();
        assertThat(http.accepts(301)).isTrue();
        assertThat(http.accepts(204)).isFalse();
        assertThat(http.bodyRegex().pattern()).isEqualTo("ok");
        assertThat(http.maxBytes()).isEqualTo(4096);
        assertThat(http.version()).isEqualTo("1.0");
        assertThat(v.realServers().get(0).tunnel()).isEqualTo(new TunnelConfig(TunnelConfig.Type.GRE, 0, TunnelConfig.Checksum.CSUM));
        assertThat(v.realServers().get(0).check().type()).isEqualTo(CheckType.HTTP);
        CheckConfig overridden = v.realServers().get(1).check();
        assertThat(overridden.type()).isEqualTo(CheckType.TCP);
        assertThat(overridden.connectPort()).isEqualTo(8080);
        assertThat(overridden.interval()).isEqualTo(v.check().interval());
    }

    @Test
    void everyCheckTypeBinds() {
        LvsdConfig c = TestConfigs.valid(dir, """
                scripts.user = nobody
                virtual-servers = [
                  { name = a, address = "10.0.0.1:443", check { type = https, http { sni = www.example.org, host = www.example.org,
                      digest = "sha256:%s" } }, real-servers = [ { address = "10.1.0.1:443" } ] }
                  { name = b, address = "10.0.0.1:53", protocol = udp, check { type = udp, udp { payload = "ping", expect-regex = "^pong" } },
                    real-servers = [ { address = "10.1.0.1:53" } ] }
                  { name = c, address = "10.0.0.2:53", protocol = udp, check { type = udp, udp { payload-hex = "00ff" } },
                    real-servers = [ { address = "10.1.0.1:53" } ] }
                  { name = d, address = "10.0.0.1:25", check { type = script, script { command = ["/bin/chk", "smtp"], dynamic = true } },
                    real-servers = [ { address = "10.1.0.1:25" } ] }
                  { name = e, address = "10.0.0.1:80", check { type = agent, agent { port = 4444, path = "/load", reports = load,
                      load-full = 4.0, min-weight = 1, max-weight = 100, smoothing = 0.25 } }, real-servers = [ { address = "10.1.0.1:80" } ] }
                  { name = f, address = "10.0.0.1:81", check { type = none }, real-servers = [ { address = "10.1.0.1:81" } ] }
                  { name = g, address = "10.0.0.1:82", check { type = tcp, tcp.half-open = true }, real-servers = [ { address = "10.1.0.1:82" } ] }
                  { name = h, address = "10.0.0.1:83", real-servers = [ { address = "10.1.0.1:83" } ] }
                ]
                """.formatted("ab".repeat(32)));
        List<VirtualServerConfig> v = c.virtualServers();
        CheckSpec.Http https = (CheckSpec.Http) v.get(0).check().spec();
        assertThat(https.type()).isEqualTo(CheckType.HTTPS);
        assertThat(https.sni()).isEqualTo("www.example.org");
        assertThat(https.digest()).isEqualTo(new CheckSpec.Digest("sha256", "ab".repeat(32)));
        assertThat(v.get(1).check().spec()).isEqualTo(new CheckSpec.Udp("70696e67",
                new CheckSpec.Expect(CheckSpec.Expect.Kind.REGEX, "^pong")));
        assertThat(v.get(2).check().spec()).isEqualTo(new CheckSpec.Udp("00ff", null));
        CheckSpec.Script script = (CheckSpec.Script) v.get(3).check().spec();
        assertThat(script.command().argv()).containsExactly("/bin/chk", "smtp");
        assertThat(script.dynamic()).isTrue();
        assertThat(v.get(4).check().spec()).isEqualTo(new CheckSpec.Agent(null, 4444, "/load",
                CheckSpec.Agent.Reports.LOAD, 4.0, 1, 100, 0.25));
        assertThat(v.get(5).check().type()).isEqualTo(CheckType.NONE);
        assertThat(v.get(6).check().spec()).isEqualTo(new CheckSpec.Tcp(true));
        assertThat(v.get(7).check().spec()).as("the default check: a whole handshake").isEqualTo(new CheckSpec.Tcp(false));
    }

    @Test
    void syncDaemonBinds() {
        LvsdConfig c = TestConfigs.valid(dir, """
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, virtual-addresses = ["10.0.0.100/24"] }
                sync-daemon { interface = eth1, sync-id = 7, follow = VI_1, maxlen = 1472, group = "224.0.0.82", port = 8849, ttl = 2, preempt-wait = 20s }
                """);
        SyncDaemonConfig s = c.syncDaemon();
        assertThat(s.enabled()).isTrue();
        assertThat(s.interfaceName()).isEqualTo("eth1");
        assertThat(s.syncId()).isEqualTo(7);
        assertThat(s.follow()).isEqualTo("VI_1");
        assertThat(s.maxlen()).isEqualTo(1472);
        assertThat(s.group().getHostAddress()).isEqualTo("224.0.0.82");
        assertThat(s.port()).isEqualTo(8849);
        assertThat(s.ttl()).isEqualTo(2);
        assertThat(s.preemptWait()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void templatesInTheFileChangeTheDefaultsOfEveryInstanceAndServer() {
        LvsdConfig c = TestConfigs.valid(dir, """
                defaults.vrrp-instance { advert-interval = 100ms, priority = 120 }
                defaults.virtual-server { scheduler = rr, forwarding = dr }
                defaults.real-server { weight = 5 }
                defaults.check { interval = 1s }
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, virtual-addresses = ["10.0.0.100/24"] }
                virtual-servers = [ { name = w, address = "10.0.0.100:80", real-servers = [ { address = "10.0.0.5:80" } ] } ]
                """);
        assertThat(c.vrrp().instances().get("VI_1").advertInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.vrrp().instances().get("VI_1").priority()).isEqualTo(120);
        VirtualServerConfig v = c.virtualServers().get(0);
        assertThat(v.scheduler()).isEqualTo(Scheduler.RR);
        assertThat(v.forwarding()).isEqualTo(Forwarding.DR);
        assertThat(v.realServers().get(0).weight()).isEqualTo(5);
        assertThat(v.check().interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void includeGlobsMergeInNameOrderAndAppendVirtualServers() {
        TestConfigs.write(dir, "conf.d/10-web.conf", """
                virtual-servers += { name = web, address = "10.0.0.100:80", real-servers = [ { address = "10.0.0.5:80" } ] }
                director.name = from-10
                """);
        TestConfigs.write(dir, "conf.d/20-mail.conf", """
                virtual-servers += { name = mail, address = "10.0.0.100:25", real-servers = [ { address = "10.0.0.5:25" } ] }
                director.name = from-20
                """);
        TestConfigs.write(dir, "conf.d/ignored.txt", "this is not HOCON {");
        LvsdConfig c = TestConfigs.valid(dir, """
                director.name = main
                include "conf.d/*.conf"
                """);
        assertThat(c.director().name()).isEqualTo("from-20");
        assertThat(c.virtualServers()).extracting(VirtualServerConfig::name).containsExactly("web", "mail");
    }

    @Test
    void anIncludeGlobMatchingNothingIsFine() {
        assertThat(TestConfigs.valid(dir, "include \"conf.d/*.conf\"\n").virtualServers()).isEmpty();
    }

    @Test
    void quotedNumbersAndBooleansConvertLikeHocon() {
        // What ${ENV_VAR} substitutions produce: strings, converted as HOCON defines.
        LvsdConfig c = TestConfigs.valid(dir, """
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = "51", priority = "120", preempt = "off",
                                      virtual-addresses = ["10.0.0.100/24"] }
                """);
        assertThat(c.vrrp().instances().get("VI_1").priority()).isEqualTo(120);
        assertThat(c.vrrp().instances().get("VI_1").virtualRouterId()).isEqualTo(51);
        assertThat(c.vrrp().instances().get("VI_1").preempt()).isFalse();
    }
}
