package io.lvsd.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per validation rule: the exact message, with file and line. Line numbers count from
 * the first line of each text block.
 */
class ConfigValidationTest {
    @TempDir
    Path dir;

    private static final String VI = """
            vrrp.instances.VI_1 {
              interface = eth0
              virtual-router-id = 51
              virtual-addresses = ["192.168.1.110/24"]
            """;

    private java.util.List<String> errors(String text) {
        return TestConfigs.errors(dir, text);
    }

    @Test
    void priorityOutOfRange() {
        assertThat(errors(VI + "  priority = 300\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.priority: 300 (expected 1-255)");
    }

    @Test
    void realtimePriorityIsAFifoPriorityOrZero() {
        assertThat(errors("vrrp.realtime-priority = 100\n" + VI + "}\n"))
                .containsExactly("lvsd.conf:1: vrrp.realtime-priority: 100 (expected 0-99)");
        assertThat(errors("vrrp.realtime-priority = 10\n" + VI + "}\n")).isEmpty();
    }

    @Test
    void subSecondAdvertsWithoutARealtimePriorityAreWarnedAbout() {
        String fast = VI + "  advert-interval = 10ms\n}\n";
        assertThat(TestConfigs.warnings(dir, fast)).singleElement().asString().startsWith(
                "lvsd.conf:5: vrrp.instances.VI_1.advert-interval: 10ms without vrrp.realtime-priority: the backup "
                        + "takes over when");
        assertThat(TestConfigs.warnings(dir, "vrrp.realtime-priority = 10\n" + fast)).isEmpty();
        assertThat(TestConfigs.warnings(dir, VI + "  advert-interval = 100ms\n}\n")).isEmpty();
    }

    @Test
    void unicastChecksAreValidated() {
        assertThat(errors(VI + "  unicast-peers = [\"10.0.0.2\"]\n  unicast-min-ttl = 256\n  unicast-peers-check = maybe\n}\n"))
                .containsExactly("lvsd.conf:6: vrrp.instances.VI_1.unicast-min-ttl: 256 (expected 0-255)",
                        "lvsd.conf:7: vrrp.instances.VI_1.unicast-peers-check: \"maybe\" (expected true or false)");
    }

    @Test
    void theApiTokenFileMustBeOwnerOnlyAndHoldAToken() throws Exception {
        Path f = dir.resolve("token");
        java.nio.file.Files.writeString(f, "a-long-enough-secret-token\n");
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String conf = "admin { token-file = \"" + f + "\" }\n" + VI + "}\n";
        // (errors() shows paths in the test's directory relative to it)
        assertThat(errors(conf)).containsExactly("lvsd.conf:1: admin.token-file: token: readable by others "
                + "(expected mode 0600 or 0400) (chmod 600 token)");
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(errors(conf)).isEmpty();
        java.nio.file.Files.writeString(f, "short\n");
        assertThat(errors(conf)).singleElement().asString().startsWith("lvsd.conf:1: admin.token-file: token: no token "
                + "(expected one line of at least 16 characters").doesNotContain("short");
        java.nio.file.Files.delete(f);
        assertThat(errors(conf)).containsExactly("lvsd.conf:1: admin.token-file: token: cannot read it "
                + "(NoSuchFileException)");
        assertThat(errors("admin { control-socket-group = no-such-group-here }\n" + VI + "}\n")).containsExactly(
                "lvsd.conf:1: admin.control-socket-group: \"no-such-group-here\" (expected an existing group: "
                        + "groupadd --system no-such-group-here)");
    }

    @Test
    void scriptsNeedTheirUserToExist() {
        String scripts = "vrrp.track-scripts.chk { command = /bin/true }\n";
        assertThat(errors("scripts.user = no-such-user-here\n" + scripts)).containsExactly("lvsd.conf:1: scripts.user: "
                + "\"no-such-user-here\" does not exist, and vrrp.track-scripts.chk runs as it (expected an existing "
                + "user: useradd --system --no-create-home no-such-user-here, which the Debian package does for "
                + "lvsd-script; or set scripts.user)");
        assertThat(errors("scripts.user = no-such-user-here\n" + VI + "}\n")).as("no script, no user needed").isEmpty();
        java.util.function.Predicate<String> real = ConfigBinder.users;
        ConfigBinder.users = u -> false;
        try {
            assertThat(errors(VI + "  notify.master = /bin/true\n}\n")).as("the default user, named in the file")
                    .singleElement().asString().startsWith("lvsd.conf: scripts.user: \"lvsd-script\" does not exist, "
                            + "and the notify of vrrp.instances.VI_1 runs as it");
        } finally {
            ConfigBinder.users = real;
        }
    }

    @Test
    void anErrorOnAnObjectMergedWithItsDefaultsPointsAtTheFile() {
        // Found by ConfigBinderPropertyTest: the error showed typesafe-config's "merge of ..." description. The
        // tunnel comes from the operator's template (line 1) merged with the shipped defaults.
        assertThat(errors("defaults.virtual-server.tunnel { type = null }\nvirtual-servers = [\n"
                + "  { name = a, address = \"10.0.0.1:80\", forwarding = nat, real-servers = [ { address = \"10.0.0.5:80\" } ] }\n]\n"))
                .containsExactly("lvsd.conf:1: virtual-servers[0].tunnel.type: null (expected one of ipip, gue, gre)");
    }

    @Test
    void aTemplateTunnelOrFamilyIsNoErrorOnTheServersItDoesNotApplyTo() {
        // Found by ConfigBinderPropertyTest: reference.conf's defaults.virtual-server written out in the file, which
        // changes nothing, made every nat and dr server an error ("tunnel: set with forwarding = nat"). A template is
        // a default for every server; the tun servers take its tunnel, the fwmark servers its family.
        LvsdConfig c = TestConfigs.valid(dir, """
                defaults.virtual-server { tunnel { type = gre }, family = ipv6 }
                virtual-servers = [
                  { name = a, address = "10.0.0.1:80", forwarding = dr, real-servers = [ { address = "10.0.0.5:80" } ] }
                  { name = b, address = "10.0.0.1:81", forwarding = tun, real-servers = [ { address = "10.0.0.5:81" } ] }
                ]
                """);
        assertThat(c.virtualServers().get(1).tunnel().type()).isEqualTo(io.lvsd.ipvs.TunnelConfig.Type.GRE);
        assertThat(c.virtualServers().get(0).family()).isEqualTo(io.lvsd.linux.net.IpFamily.IPV4);
        assertThat(errors("""
                virtual-servers = [ { name = a, address = "10.0.0.1:80", forwarding = dr, family = ipv6,
                  tunnel { type = gre }, real-servers = [ { address = "10.0.0.5:80" } ] } ]
                """)).containsExactly(
                "lvsd.conf:1: virtual-servers[0].family: set with address (expected only with fwmark: the address "
                        + "gives the family)",
                "lvsd.conf:2: virtual-servers[0].tunnel: set with forwarding = dr (expected only with forwarding = tun)");
    }

    @Test
    void followWithInstancesThatAreNotAnObjectIsAnError() {
        // Found by ConfigBinderPropertyTest: sync-daemon.follow looked the name up with getObject("vrrp.instances"),
        // which threw ConfigException.Null (or WrongType) out of the loader.
        assertThat(errors("vrrp.instances = null\nsync-daemon { interface = eth0, follow = VI_1 }\n"))
                .containsExactly("lvsd.conf:1: vrrp.instances: missing (expected an object { ... })");
        assertThat(errors("vrrp.instances = [1]\nsync-daemon { interface = eth0, follow = VI_1 }\n"))
                .containsExactly("lvsd.conf:1: vrrp.instances: [1] (expected an object { ... })");
    }

    @Test
    void unknownKeyWithSuggestion() {
        assertThat(errors(VI + "  prority = 100\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.prority: unknown key (did you mean priority?)");
    }

    @Test
    void unknownTopLevelKeyWithoutCloseMatch() {
        assertThat(errors("bogus = 1\n")).containsExactly("lvsd.conf:1: bogus: unknown key");
    }

    @Test
    void unknownKeyInATemplateIsReportedOnce() {
        assertThat(errors("defaults.vrrp-instance { prioriti = 5 }\n" + VI + "}\n" + VI.replace("VI_1", "VI_2")
                .replace("= 51", "= 52") + "}\n"))
                .containsExactly("lvsd.conf:1: defaults.vrrp-instance.prioriti: unknown key (did you mean priority?)");
    }

    @Test
    void anUnknownKeyInATemplateIsQuotedInItsPath() {
        // Found by ConfigBinderPropertyTest: the key "" was reported as defaults.check. and "a.b" as defaults.check.a.b,
        // the path of another key.
        assertThat(errors("defaults.check { \"a.b\" = 1, \"\" = 2 }\n")).containsExactlyInAnyOrder(
                "lvsd.conf:1: defaults.check.\"a.b\": unknown key", "lvsd.conf:1: defaults.check.\"\": unknown key");
    }

    @Test
    void wrongTypeNamesTheValue() {
        assertThat(errors(VI + "  preempt = maybe\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.preempt: \"maybe\" (expected true or false)");
    }

    @Test
    void missingRequiredKeyPointsAtTheObject() {
        assertThat(errors("vrrp.instances.VI_1 {\n  virtual-router-id = 51\n  virtual-addresses = [\"10.0.0.1\"]\n}\n"))
                .containsExactly("lvsd.conf:1: vrrp.instances.VI_1.interface: missing (expected an interface name)");
    }

    @Test
    void v2AdvertIntervalIsWholeSeconds() {
        assertThat(errors(VI + "  version = 2\n  advert-interval = 1500ms\n}\n"))
                .containsExactly("lvsd.conf:6: vrrp.instances.VI_1.advert-interval: \"1500ms\" (expected whole seconds 1s-255s for version 2)");
    }

    @Test
    void v3AdvertIntervalIsCentisecondsUpTo4095() {
        assertThat(errors(VI + "  advert-interval = 41s\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.advert-interval: \"41s\" (expected 10ms-40.95s in steps of 10ms for version 3)");
        assertThat(errors(VI + "  advert-interval = 105ms\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.advert-interval: \"105ms\" (expected 10ms-40.95s in steps of 10ms for version 3)");
        assertThat(errors(VI + "  advert-interval = 40950ms\n}\n")).isEmpty();
    }

    @Test
    void authenticationOnlyWithV2() {
        assertThat(errors(VI + "  authentication { password = secret }\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.authentication.password: set with version = 3 "
                        + "(expected only with version = 2: VRRPv3 has no authentication, RFC 5798 §9)");
        assertThat(errors(VI + "  version = 2\n  authentication { password = secret }\n}\n")).isEmpty();
    }

    @Test
    void passwordIsAtMostEightCharacters() {
        assertThat(errors(VI + "  version = 2\n  authentication { password = toolongpw }\n}\n"))
                .containsExactly("lvsd.conf:6: vrrp.instances.VI_1.authentication.password: 9 characters, not shown "
                        + "(expected 1-8 printable ASCII characters)");
    }

    @Test
    void unicastPeersAndSourceInTheFamilyOfTheAddresses() {
        assertThat(errors(VI + "  unicast-source = \"2001:db8::1\"\n  unicast-peers = [\"10.0.0.2\", \"2001:db8::2\"]\n}\n"))
                .containsExactly(
                        "lvsd.conf:5: vrrp.instances.VI_1.unicast-source: \"2001:db8::1\" (expected an IPv4 address like the virtual addresses)",
                        "lvsd.conf:6: vrrp.instances.VI_1.unicast-peers[1]: \"2001:db8::2\" (expected an IPv4 address like the virtual addresses)");
    }

    @Test
    void unicastSourceNeedsPeers() {
        assertThat(errors(VI + "  unicast-source = \"10.0.0.1\"\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.unicast-source: set without unicast-peers (expected unicast-peers for unicast mode)");
    }

    @Test
    void virtualAddressesAreOneFamilyAndV2IsIpv4Only() {
        assertThat(errors("vrrp.instances.VI_1 {\n  interface = eth0\n  virtual-router-id = 51\n"
                + "  virtual-addresses = [\"10.0.0.1/24\", \"2001:db8::1\"]\n}\n"))
                .containsExactly("lvsd.conf:4: vrrp.instances.VI_1.virtual-addresses[1]: \"2001:db8::1\" "
                        + "(expected IPv4 like the first address: an instance advertises one family)");
        assertThat(errors("vrrp.instances.VI_1 {\n  interface = eth0\n  virtual-router-id = 51\n  version = 2\n"
                + "  virtual-addresses = [\"2001:db8::1\"]\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.virtual-addresses: IPv6 addresses with version = 2 "
                        + "(expected version = 3: VRRPv2 is IPv4 only)");
    }

    @Test
    void virtualRouterIdUniquePerInterfaceAndFamily() {
        String second = """
                vrrp.instances.VI_2 {
                  interface = eth0
                  virtual-router-id = 51
                  virtual-addresses = ["192.168.1.111/24"]
                }
                """;
        assertThat(errors(VI + "}\n" + second))
                .containsExactly("lvsd.conf:8: vrrp.instances.VI_2.virtual-router-id: 51 "
                        + "(expected unique per interface and family: VI_1 uses it on eth0 for IPv4)");
        assertThat(errors(VI + "}\n" + second.replace("192.168.1.111/24", "2001:db8::5"))).isEmpty();
        assertThat(errors(VI + "}\n" + second.replace("eth0", "eth1"))).isEmpty();
    }

    @Test
    void addressesAndCidrsParse() {
        assertThat(errors("vrrp.instances.VI_1 {\n  interface = eth0\n  virtual-router-id = 51\n"
                + "  virtual-addresses = [\"192.168.1.300/24\", \"10.0.0.1/33\"]\n}\n"))
                .containsExactly(
                        "lvsd.conf:4: vrrp.instances.VI_1.virtual-addresses[0]: \"192.168.1.300\" is not an IP address (expected an address like \"192.0.2.10/24\")",
                        "lvsd.conf:4: vrrp.instances.VI_1.virtual-addresses[1]: \"10.0.0.1/33\" has a bad prefix length (expected 0-32) (expected an address like \"192.0.2.10/24\")");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"web.example.com:80\"\n} ]\n"))
                .containsExactly("lvsd.conf:3: virtual-servers[0].address: \"web.example.com:80\" "
                        + "(expected address:port like \"192.0.2.1:80\" or \"[2001:db8::1]:80\")");
    }

    @Test
    void durationsPositive() {
        assertThat(errors("scripts { timeout = 0s }\n"))
                .containsExactly("lvsd.conf:1: scripts.timeout: \"0s\" (expected a duration > 0)");
        assertThat(errors("ipvs { drift-check-interval = -5s }\n"))
                .containsExactly("lvsd.conf:1: ipvs.drift-check-interval: \"-5s\" (expected a duration > 0)");
        assertThat(errors(VI + "  preempt-delay = -1s\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.preempt-delay: \"-1s\" (expected a duration >= 0)");
        assertThat(errors(VI + "  advert-interval = soon\n}\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.advert-interval: \"soon\" (expected a duration like 5s or 100ms)");
    }

    @Test
    void persistenceNetmaskOnlyWithATimeout() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  persistence { netmask = 24 }\n} ]\n"))
                .containsExactly("lvsd.conf:4: virtual-servers[0].persistence.netmask: set without a persistence timeout "
                        + "(expected persistence.timeout > 0)");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  persistence { timeout = 60s, netmask = \"255.0.255.0\" }\n} ]\n"))
                .containsExactly("lvsd.conf:4: virtual-servers[0].persistence.netmask: \"255.0.255.0\" "
                        + "(expected a netmask like 255.255.255.0 or a prefix length 1-32)");
    }

    @Test
    void drAndTunCannotRemapPorts() {
        String vs = "virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  forwarding = %s\n"
                + "  real-servers = [\n    { address = \"10.0.0.5:8080\" }\n  ]\n} ]\n";
        assertThat(errors(vs.formatted("dr")))
                .containsExactly("lvsd.conf:6: virtual-servers[0].real-servers[0].address: \"10.0.0.5:8080\" "
                        + "(expected port 80: dr cannot remap ports, only nat can)");
        assertThat(errors(vs.formatted("tun")))
                .containsExactly("lvsd.conf:6: virtual-servers[0].real-servers[0].address: \"10.0.0.5:8080\" "
                        + "(expected port 80: tun cannot remap ports, only nat can)");
        assertThat(errors(vs.formatted("nat"))).isEmpty();
    }

    @Test
    void realServerForwardingOverrideIsCheckedToo() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  real-servers = [ { address = \"10.0.0.5:8080\", forwarding = dr } ]\n} ]\n"))
                .containsExactly("lvsd.conf:4: virtual-servers[0].real-servers[0].address: \"10.0.0.5:8080\" "
                        + "(expected port 80: dr cannot remap ports, only nat can)");
    }

    @Test
    void syncGroupMembersMustExist() {
        assertThat(errors(VI + "}\nvrrp.sync-groups { G1 = [VI_1, VI_3] }\n"))
                .containsExactly("lvsd.conf:6: vrrp.sync-groups.G1[1]: \"VI_3\" is not defined in vrrp.instances (did you mean VI_1?)");
    }

    @Test
    void anInstanceIsInOneSyncGroupAtMost() {
        assertThat(errors(VI + "}\nvrrp.sync-groups {\n  G1 = [VI_1]\n  G2 = [VI_1]\n}\n"))
                .containsExactly("lvsd.conf:8: vrrp.sync-groups.G2[0]: \"VI_1\" is already in sync group G1 "
                        + "(expected each instance in at most one group)");
    }

    @Test
    void followMustNameAnInstance() {
        assertThat(errors(VI + "}\nsync-daemon { interface = eth0, follow = VI_2 }\n"))
                .containsExactly("lvsd.conf:6: sync-daemon.follow: \"VI_2\" is not defined in vrrp.instances (did you mean VI_1?)");
        assertThat(errors(VI + "}\nsync-daemon { follow = VI_1 }\n"))
                .containsExactly("lvsd.conf:6: sync-daemon.follow: set without sync-daemon.interface "
                        + "(expected an interface for the sync daemons)");
    }

    @Test
    void trackScriptReferencesMustExist() {
        assertThat(errors(VI + "  track { scripts = [chk_web] }\n}\nvrrp.track-scripts.chk_www { command = /bin/true }\n"
                + "scripts.user = nobody\n"))
                .containsExactly("lvsd.conf:5: vrrp.instances.VI_1.track.scripts[0]: \"chk_web\" is not defined in "
                        + "vrrp.track-scripts (did you mean chk_www?)");
    }

    @Test
    void noDuplicateVirtualServers() {
        String one = "  { name = %s, address = \"10.0.0.1:80\", real-servers = [ { address = \"10.0.0.5:80\" } ] }\n";
        assertThat(errors("virtual-servers = [\n" + one.formatted("a") + one.formatted("b") + "]\n"))
                .containsExactly("lvsd.conf:3: virtual-servers[1]: duplicate virtual server tcp 10.0.0.1:80 (also at lvsd.conf:2)");
        assertThat(errors("virtual-servers = [\n" + one.formatted("a") + one.formatted("a").replace(":80\", real", ":81\", real")
                .replace("5:80", "5:81") + "]\n"))
                .containsExactly("lvsd.conf:3: virtual-servers[1].name: \"a\" (expected unique: also at lvsd.conf:2)");
        assertThat(errors("virtual-servers = [\n" + one.formatted("a")
                + one.formatted("b").replace("address = \"10.0.0.1:80\"", "address = \"10.0.0.1:80\", protocol = udp") + "]\n"))
                .isEmpty();
    }

    @Test
    void noDuplicateRealServers() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  real-servers = [\n"
                + "    { address = \"10.0.0.5:80\" }\n    { address = \"10.0.0.5\" }\n  ]\n} ]\n"))
                .containsExactly("lvsd.conf:6: virtual-servers[0].real-servers[1].address: duplicate real server 10.0.0.5:80 "
                        + "(also at lvsd.conf:5)");
    }

    @Test
    void exactlyOneOfAddressOrFwmark() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n} ]\n"))
                .containsExactly("lvsd.conf:1: virtual-servers[0].address: missing (expected address = \"VIP:port\" or fwmark = N)");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  fwmark = 3\n} ]\n"))
                .containsExactly("lvsd.conf:1: virtual-servers[0].fwmark: set together with address (expected exactly one of address or fwmark)");
    }

    @Test
    void schedulerFlagsMatchTheScheduler() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  scheduler = wlc\n"
                + "  scheduler-flags = [sh-port]\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].scheduler-flags[0]: sh-port with scheduler = wlc (expected only with scheduler = sh)");
    }

    @Test
    void unknownSchedulerListsTheChoices() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  scheduler = wlcx\n} ]\n"))
                .containsExactly("lvsd.conf:4: virtual-servers[0].scheduler: \"wlcx\" (expected one of rr, wrr, lc, wlc, lblc, "
                        + "lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)");
    }

    @Test
    void onePacketOnlyForUdp() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  one-packet = true\n} ]\n"))
                .containsExactly("lvsd.conf:4: virtual-servers[0].one-packet: true with protocol = tcp (expected only with protocol = udp)");
    }

    @Test
    void portZeroNeedsPersistence() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:0\"\n} ]\n"))
                .containsExactly("lvsd.conf:3: virtual-servers[0].address: \"10.0.0.1:0\" "
                        + "(expected a port 1-65535: port 0, all ports, needs persistence.timeout > 0)");
    }

    @Test
    void anHttpCheckRefusesWhatCannotGoIntoARequest() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  check { type = http\n    http { path = \"/health check\" } }\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].check.http.path: \"/health check\" (expected an absolute "
                        + "path like /health, without spaces or control characters (a space is %20))");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:443\"\n"
                + "  check { type = https\n    http { host = \"a\\r\\nX-Evil: 1\", sni = \"bad name\" } }\n} ]\n"))
                .hasSize(2).allMatch(e -> e.startsWith("lvsd.conf:5: virtual-servers[0].check.http."))
                .anyMatch(e -> e.contains(".host: ")).anyMatch(e -> e.contains(".sni: \"bad name\""));
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  check { type = agent\n    agent { port = 8080, path = \"/lo ad\" } }\n} ]\n"))
                .singleElement().asString().startsWith("lvsd.conf:5: virtual-servers[0].check.agent.path: \"/lo ad\"");
        // What went out before stays accepted: a path beyond ASCII (sent in UTF-8), a server name with '_' or a
        // final dot.
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:443\"\n"
                + "  check { type = https\n    http { path = \"/santé?x=%20\", sni = \"svc_a.example.org.\" } }\n} ]\n"))
                .isEmpty();
    }

    @Test
    void checkBlocksOnlyWithTheirType() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  check { type = tcp\n    http { path = \"/\" } }\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].check.http: set with type = tcp (expected only with type = http or https)");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  check { type = http\n    tcp { half-open = true } }\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].check.tcp: set with type = http (expected only with type = tcp)");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n"
                + "  check { type = tcp\n    tcp { half-open = maybe } }\n} ]\n"))
                .singleElement().asString().startsWith("lvsd.conf:5: virtual-servers[0].check.tcp.half-open: \"maybe\"");
    }

    @Test
    void tunnelSettingsOnlyWithTun() {
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  forwarding = dr\n"
                + "  tunnel { type = gre }\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].tunnel: set with forwarding = dr (expected only with forwarding = tun)");
        assertThat(errors("virtual-servers = [ {\n  name = w\n  address = \"10.0.0.1:80\"\n  forwarding = tun\n"
                + "  tunnel { type = gue }\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].tunnel.port: missing (expected 1-65535 for gue)");
    }

    @Test
    void adminNonLoopbackMustBeExplicit() {
        assertThat(errors("admin { listen = \"0.0.0.0:9180\" }\n"))
                .containsExactly("lvsd.conf:1: admin.listen: \"0.0.0.0:9180\" (expected a loopback address; "
                        + "set admin.allow-remote = true to serve the admin endpoint on the network)");
        assertThat(errors("admin { listen = \"0.0.0.0:9180\", allow-remote = true }\n")).isEmpty();
    }

    @Test
    void syntaxErrorsNameFileAndLine() {
        assertThat(errors("director { name = lvs1 }\nvrrp {\n  instances = = {}\n}\n"))
                .singleElement().asString().startsWith("lvsd.conf:3: ");
    }

    @Test
    void aMissingIncludeIsAnError() {
        assertThat(errors("include \"missing.conf\"\n"))
                .containsExactly("lvsd.conf: include \"missing.conf\": no such file");
    }

    @Test
    void errorsInIncludedFilesNameThatFile() {
        TestConfigs.write(dir, "conf.d/web.conf", "\nvirtual-servers += { name = w, address = \"10.0.0.1:80\", schedular = rr }\n");
        assertThat(errors("include \"conf.d/*.conf\"\n"))
                .containsExactly("conf.d/web.conf:2: virtual-servers[0].schedular: unknown key (did you mean scheduler?)");
    }

    @Test
    void aFileWithThreeMistakesReportsAllThree() {
        assertThat(errors("""
                director { name = lvs1 }
                vrrp.instances.VI_1 {
                  interface = eth0
                  virtual-router-id = 300
                  virtual-addresses = ["192.168.1.110/24"]
                  advert-interval = 2s
                  preempt = yes
                }
                virtual-servers = [ { name = web, address = "192.168.1.110:80", sheduler = rr } ]
                admin { listen = "127.0.0.1:99999" }
                """)).containsExactly(
                "lvsd.conf:4: vrrp.instances.VI_1.virtual-router-id: 300 (expected 1-255)",
                "lvsd.conf:9: virtual-servers[0].sheduler: unknown key (did you mean scheduler?)",
                "lvsd.conf:10: admin.listen: \"127.0.0.1:99999\" (expected address:port like \"192.0.2.1:80\" or \"[2001:db8::1]:80\")");
    }

    @Test
    void quiesceWithUdpWarnsWhy() {
        assertThat(TestConfigs.warnings(dir, "virtual-servers = [ {\n  name = d\n  address = \"10.0.0.1:53\"\n  protocol = udp\n"
                + "  on-failure = quiesce\n  real-servers = [ { address = \"10.0.0.5:53\" } ]\n} ]\n"))
                .containsExactly("lvsd.conf:5: virtual-servers[0].on-failure: quiesce with protocol = udp: a UDP client that keeps "
                        + "its source port keeps being sent to a quiesced server until its entry expires; remove is the safe choice for UDP");
    }

    @Test
    void aMissingFileIsOneClearError() {
        LoadResult r = ConfigLoader.load(dir.resolve("nope.conf"));
        assertThat(r.ok()).isFalse();
        assertThat(r.errors()).extracting(ConfigProblem::format)
                .containsExactly("<config>: cannot read " + dir.resolve("nope.conf") + ": no such file");
    }

    @Test
    void aCheckThroughTheVipNeedsDrOrTunAnAddressOfItsFamilyAndNoOwnSource() {
        String addresses = "through-vip.addresses = [ { address = \"10.0.0.250/24\", interface = eth0 } ]\n";
        assertThat(errors(addresses + """
                virtual-servers = [ { name = a, address = "10.0.0.1:80", forwarding = nat,
                  check { through-vip = true },
                  real-servers = [ { address = "10.0.0.5:80" } ] } ]
                """)).containsExactly("lvsd.conf:4: virtual-servers[0].real-servers[0].check: through-vip = true for"
                + " 10.0.0.5:80 with forwarding = nat (expected dr or tun: a NAT real server is reached at its own"
                + " address)");
        assertThat(errors("""
                virtual-servers = [ { name = a, address = "10.0.0.1:80", forwarding = dr,
                  check { through-vip = true },
                  real-servers = [ { address = "10.0.0.5:80" } ] } ]
                """)).containsExactly("lvsd.conf:3: virtual-servers[0].real-servers[0].check: through-vip = true for"
                + " 10.0.0.5:80 with no IPv4 address in through-vip.addresses (expected a spare address of the real"
                + " servers' network there, like through-vip.addresses = [{ address = \"192.0.2.250/24\", interface ="
                + " eth0 }])");
        assertThat(errors(addresses + """
                virtual-servers = [ { name = a, address = "10.0.0.1:80", forwarding = dr,
                  check { through-vip = true, source-address = "10.0.0.2" },
                  real-servers = [ { address = "10.0.0.5:80" } ] } ]
                """)).containsExactly("lvsd.conf:3: virtual-servers[0].check.source-address: set with through-vip = true"
                + " (expected null: a probe through the VIP goes to the VIP, from lvsd's probe namespace)");
        assertThat(errors("""
                through-vip.addresses = [ { address = "10.0.0.250", interface = eth0 },
                  { address = "fd00::250/64", interface = eth0, gateway = "10.0.0.1" } ]
                """)).containsExactly("lvsd.conf:1: through-vip.addresses[0].address: \"10.0.0.250\" (expected an address"
                        + " with its prefix length like \"192.0.2.250/24\": the namespace reaches the network's real"
                        + " servers on-link)",
                "lvsd.conf:2: through-vip.addresses[1].gateway: \"10.0.0.1\" (expected an IPv6 address like the address)");
    }

    @Test
    void aCheckThroughTheVipBinds() {
        LvsdConfig c = TestConfigs.valid(dir, """
                through-vip.addresses = [ { address = "10.0.0.250/24", interface = eth0 },
                  { address = "fd00::250/64", interface = eth1, gateway = "fd00::1" } ]
                virtual-servers = [ { name = a, address = "10.0.0.1:80", forwarding = tun, tunnel { type = gue, port = 5555 },
                  check { type = http, through-vip = true },
                  real-servers = [ { address = "10.0.0.5:80" }, { address = "10.0.0.6:80", check.through-vip = false } ] } ]
                """);
        assertThat(c.throughVip()).hasSize(2);
        assertThat(c.throughVip().get(1).gateway()).isEqualTo(io.lvsd.linux.net.IpAddresses.parse("fd00::1"));
        var reals = c.virtualServers().get(0).realServers();
        assertThat(reals.get(0).check().throughVip()).isTrue();
        assertThat(reals.get(1).check().throughVip()).isFalse();
        assertThat(io.lvsd.controller.health.HealthComponent.throughVip(c.virtualServers().get(0), reals.get(0)))
                .hasToString("ThroughVip[vip=/10.0.0.1, realServer=/10.0.0.5, encapsulation=GUE, tunnelPort=5555]");
    }

    @Test
    void routingIsValidatedAndWarnsOfWhatBreaksConnectionsAcrossDirectors() {
        assertThat(errors("routing { enabled = true\n  table = 254\n  protocol = 2\n  daemon = quagga\n"
                + "  control-socket = bird.ctl }\n")).containsExactly(
                "lvsd.conf:2: routing.table: 254 (expected a table of lvsd's own, not the kernel's default, main or "
                        + "local table (252-255): like 4242)",
                "lvsd.conf:3: routing.protocol: 2 (expected 5-255)",
                "lvsd.conf:4: routing.daemon: \"quagga\" (expected bird or none)",
                "lvsd.conf:5: routing.control-socket: \"bird.ctl\" (expected an absolute path, like /run/bird/bird.ctl)");
        String vs = "virtual-servers = [ { name = web, address = \"192.0.2.10:80\", scheduler = wrr, forwarding = nat,\n"
                + "  real-servers = [ { address = \"10.0.0.2:80\" } ] },\n"
                + "  { name = dns, address = \"192.0.2.10:53\", protocol = udp, scheduler = mh, forwarding = dr,\n"
                + "  scheduler-flags = [mh-fallback],\n"
                + "  real-servers = [ { address = \"10.0.0.2:53\" } ] } ]\n";
        assertThat(TestConfigs.warnings(dir, "routing.enabled = true\n" + vs)).containsExactly(
                "lvsd.conf:1: routing.enabled: true with schedulers that do not hash consistently: web (wrr) (expected "
                        + "scheduler = mh: when the router moves a flow to another director, only mh sends it to the "
                        + "same real server there; other schedulers break established connections)",
                "lvsd.conf:1: routing.enabled: true with NAT forwarding in web (expected dr or tun: a NAT reply must "
                        + "pass the director that saw the request, which ECMP does not promise)");
        assertThat(TestConfigs.warnings(dir, vs)).as("routing off: no warning").isEmpty();
        String mh = "virtual-servers = [ { name = web, address = \"192.0.2.10:80\", scheduler = mh, forwarding = dr,\n"
                + "  real-servers = [ { address = \"10.0.0.2:80\", upper-threshold = 100 } ] } ]\n";
        assertThat(TestConfigs.warnings(dir, "routing.enabled = true\n" + mh)).containsExactly(
                "lvsd.conf:1: routing.enabled: true with TCP or SCTP mh services that remove a failed real server: web "
                        + "(expected on-failure = quiesce: weight 0 keeps the server's slots of the Maglev table, so no "
                        + "other flow moves; removing it rebuilds the table and moves some new flows of the servers that "
                        + "still work)",
                "lvsd.conf:1: routing.enabled: true with mh services without the mh-fallback flag: web (expected "
                        + "scheduler-flags = [mh-fallback, mh-port]: without it, new flows that hash to a quiesced real "
                        + "server are refused with an ICMP port unreachable)",
                "lvsd.conf:1: routing.enabled: true with upper-threshold on real servers of mh services: web (expected 0:"
                        + " each director counts its own connections, so the directors would disagree about which server"
                        + " is full)");
        assertThat(TestConfigs.warnings(dir, "routing.enabled = true\n" + mh.replace("scheduler = mh,",
                "scheduler = mh, on-failure = quiesce, scheduler-flags = [mh-fallback, mh-port],")
                .replace(", upper-threshold = 100", ""))).isEmpty();
        LvsdConfig c = TestConfigs.valid(dir, "routing { enabled = true, daemon = none }\n" + vs);
        assertThat(c.routing()).isEqualTo(new RoutingConfig(true, 4242, 245, RoutingConfig.Daemon.NONE,
                Path.of("/run/bird/bird.ctl")));
        assertThat(c.vips()).extracting(java.net.InetAddress::getHostAddress).containsExactly("192.0.2.10");
    }
}
