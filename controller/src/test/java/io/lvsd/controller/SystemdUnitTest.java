package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.lvsd.testkit.Lab;
import org.junit.jupiter.api.Test;

/** systemd/lvsd.service says what the daemon implements, and systemd itself accepts it. */
class SystemdUnitTest {
    private static final Path UNIT = Path.of(System.getProperty("lvsd.etc", "../etc")).resolveSibling("systemd").resolve("lvsd.service");

    private static List<String> lines() throws Exception {
        return Files.readAllLines(UNIT).stream().map(String::strip).filter(l -> !l.startsWith("#")).toList();
    }

    @Test
    void isANotifyServiceThatReloadsWithSighupAndHasAWatchdog() throws Exception {
        assertThat(lines()).contains("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=30s",
                "ExecStart=/opt/lvsd/bin/lvsd run -f /etc/lvsd/lvsd.conf");
    }

    @Test
    void schedulesTheWithdrawalOfLeftAnnouncementsAfterAStopUnlessLvsdRunsAgain() throws Exception {
        assertThat(lines()).contains("ExecStopPost=-+/usr/bin/systemd-run --quiet --collect "
                + "--unit=lvsd-routing-withdraw --on-active=30s /opt/lvsd/bin/lvsd routing withdraw --unless-running "
                + "-f /etc/lvsd/lvsd.conf");
    }

    @Test
    void keepsTheCapabilitiesAndSocketFamiliesLvsdNeeds() throws Exception {
        String caps = lines().stream().filter(l -> l.startsWith("CapabilityBoundingSet=")).findFirst().orElseThrow();
        assertThat(caps).contains("CAP_NET_ADMIN", "CAP_NET_RAW");
        String families = lines().stream().filter(l -> l.startsWith("RestrictAddressFamilies=")).findFirst().orElseThrow();
        assertThat(families).contains("AF_NETLINK", "AF_PACKET", "AF_UNIX", "AF_INET", "AF_INET6");
        assertThat(lines()).noneMatch(l -> l.startsWith("ProtectKernelTunables=yes") || l.startsWith("MemoryDenyWriteExecute=yes")
                || l.startsWith("PrivateNetwork=yes"));
    }

    @Test
    void realTimeSchedulingIsRefusedUnlessTheDropInAllowsIt() throws Exception {
        assertThat(lines()).contains("RestrictRealtime=yes");
        Path dropIn = UNIT.resolveSibling("lvsd.service.d").resolve("realtime.conf");
        List<String> d = Files.readAllLines(dropIn).stream().map(String::strip).filter(l -> !l.startsWith("#"))
                .filter(l -> !l.isEmpty()).toList();
        assertThat(d).containsExactly("[Service]", "RestrictRealtime=no", "LimitRTPRIO=10");
    }

    @Test
    void systemdAnalyzeFindsNothingWrongButTheUninstalledBinary() throws Exception {
        Lab.requireCommand("systemd-analyze", "systemd");
        Process p = new ProcessBuilder("systemd-analyze", "verify", UNIT.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out.lines().filter(l -> !l.contains("/opt/lvsd/bin/lvsd is not executable")).toList()).isEmpty();
    }
}
