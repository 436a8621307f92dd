package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.controller.ipvs.SchedulerSwitchGuard;
import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.NetNamespace;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.proc.Processes;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler-switch guard's nftables table against the real kernel, in host namespaces. IPVS (absent here) answers
 * a connection that finds no scheduler with an ICMP port unreachable from the VIP; so does the kernel's own UDP for a
 * closed port, which stands in for it: a client's datagram to a closed port on the director is refused, is not while
 * the guard is up (the ICMP is dropped on its way out), and is refused again once the guard is down. IPVS's own
 * window is ControllerKernelLabIT's (TrafficVmTest).
 */
class SchedulerSwitchGuardIT {
    static final String VIP = "10.96.0.100";
    static final String OTHER_VIP = "10.96.0.101";

    Netns net;
    SchedulerSwitchGuard guard;

    @BeforeEach
    void topology() throws Exception {
        Lab.requireRoot("network namespaces for a director and a client");
        Lab.requireCommand("nft", "nftables");
        net = new Netns("lvsd-ssg");
        net.bridge("lan");
        net.link("d", "eth0", "lan", "10.96.0.1/24");
        net.link("c", "eth0", "lan", "10.96.0.50/24");
        net.exec("d", "ip", "addr", "add", VIP + "/32", "dev", "eth0");
        net.exec("d", "ip", "addr", "add", OTHER_VIP + "/32", "dev", "eth0");
        net.exec("c", "ip", "route", "add", "10.96.0.100/31", "via", "10.96.0.1");
        String nft = Processes.which("nft");
        guard = new SchedulerSwitchGuard(commands -> Processes.run("ip", "netns", "exec", net.name("d"), nft, commands));
    }

    @AfterEach
    void cleanup() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    static Reconciler.SchedulerSwitch udp(String vip) {
        return new Reconciler.SchedulerSwitch(new ServiceKey.Addr(Protocol.UDP,
                new InetSocketAddress(IpAddresses.parse(vip), 9)), "rr", "wrr");
    }

    /** "refused" when the director answers the client's datagram to VIP:9 with a port unreachable, else "silence". */
    String datagramTo(String vip) throws Exception {
        return NetNamespace.call(net.name("c"), () -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("10.96.0.50", 0))) {
                s.connect(new InetSocketAddress(vip, 9));
                s.setSoTimeout(1000);
                s.send(new DatagramPacket(new byte[] {1}, 1));
                try {
                    s.receive(new DatagramPacket(new byte[16], 16));
                    return "an answer";
                } catch (PortUnreachableException e) {
                    return "refused";
                } catch (SocketTimeoutException e) {
                    return "silence";
                }
            }
        });
    }

    String tables() throws Exception {
        return net.exec("d", "nft", "list", "tables");
    }

    @Test
    void portUnreachablesFromTheSwitchingVipAreHeldBackWhileTheGuardIsUpAndOnlyThen() throws Exception {
        assertThat(datagramTo(VIP)).as("before: the kernel refuses").isEqualTo("refused");
        String[] during = new String[3];
        ApplyResult r = guard.around(List.of(udp(VIP)), () -> {
            try {
                during[0] = datagramTo(VIP);
                during[1] = datagramTo(OTHER_VIP);
                during[2] = tables();
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
            return new ApplyResult(List.of());
        });
        assertThat(during[2]).as("the guard's table during the edit").contains("lvsd_scheduler_switch");
        assertThat(r.outcomes()).isEmpty();
        assertThat(during[0]).as("during: the switching VIP's refusal is held back").isEqualTo("silence");
        assertThat(during[1]).as("during: another address's refusal is not").isEqualTo("refused");
        assertThat(guard.last()).isEqualTo(new SchedulerSwitchGuard.Outcome(true, 1, null));
        assertThat(tables()).as("the guard's table is gone").doesNotContain("lvsd_scheduler_switch");
        assertThat(datagramTo(VIP)).as("after: refused again").isEqualTo("refused");
    }

    @Test
    void aTableLeftByACrashIsClearedAndAFailedEditStillLowersTheGuard() throws Exception {
        net.exec("d", "nft", "add table inet lvsd_scheduler_switch; add chain inet lvsd_scheduler_switch hold "
                + "{ type filter hook output priority 0 ; } ; add rule inet lvsd_scheduler_switch hold ip saddr " + VIP
                + " icmp type destination-unreachable drop");
        assertThat(datagramTo(VIP)).as("the leftover holds refusals back").isEqualTo("silence");
        guard.clearLeftover();
        assertThat(tables()).doesNotContain("lvsd_scheduler_switch");
        assertThat(datagramTo(VIP)).isEqualTo("refused");
        guard.clearLeftover(); // none left: still no error
        assertThatThrownBy(() -> guard.around(List.of(udp(VIP)), () -> {
            throw new java.io.IOException("netlink: the edit failed");
        })).hasMessageContaining("the edit failed");
        assertThat(tables()).doesNotContain("lvsd_scheduler_switch");
        assertThat(datagramTo(VIP)).isEqualTo("refused");
    }
}
