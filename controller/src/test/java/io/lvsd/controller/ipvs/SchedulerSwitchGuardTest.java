package io.lvsd.controller.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nftables guard around a scheduler switch, against a fake nft. */
class SchedulerSwitchGuardTest {
    static Reconciler.SchedulerSwitch tcp(String addr, int port) {
        return new Reconciler.SchedulerSwitch(new ServiceKey.Addr(Protocol.TCP,
                new InetSocketAddress(IpAddresses.parse(addr), port)), "rr", "wrr");
    }

    @Test
    void theRulesDropPortUnreachablesFromEachSwitchingAddressOnce() {
        String raise = SchedulerSwitchGuard.raise(List.of(tcp("10.0.0.1", 80), tcp("10.0.0.1", 443),
                tcp("2001:db8::1", 80), new Reconciler.SchedulerSwitch(new ServiceKey.Fwmark(IpFamily.IPV4, 7), "wlc", "sh")));
        assertThat(raise.split("; ")).containsExactly(
                "add table inet lvsd_scheduler_switch",
                "delete table inet lvsd_scheduler_switch",
                "add table inet lvsd_scheduler_switch",
                "add chain inet lvsd_scheduler_switch hold { type filter hook output priority 0",
                "policy accept",
                "}",
                "add rule inet lvsd_scheduler_switch hold ip saddr 10.0.0.1 icmp type destination-unreachable icmp code "
                        + "port-unreachable counter drop",
                "add rule inet lvsd_scheduler_switch hold ip6 saddr 2001:db8::1 icmpv6 type destination-unreachable "
                        + "icmpv6 code port-unreachable counter drop",
                "add rule inet lvsd_scheduler_switch hold icmp type destination-unreachable icmp code port-unreachable "
                        + "counter drop");
    }

    @Test
    void theHeldCountIsTheSumOfTheRulesCounters() {
        assertThat(SchedulerSwitchGuard.held("""
                table inet lvsd_scheduler_switch {
                	chain hold {
                		type filter hook output priority filter; policy accept;
                		ip saddr 10.0.0.1 icmp type destination-unreachable icmp code port-unreachable counter packets 3 bytes 168 drop
                		ip6 saddr 2001:db8::1 icmpv6 type destination-unreachable icmpv6 code port-unreachable counter packets 1 bytes 96 drop
                	}
                }
                """)).isEqualTo(4);
    }

    @Test
    void theGuardIsUpForTheEditAndDownAfterItEvenWhenTheEditFails() throws Exception {
        List<String> calls = new ArrayList<>();
        SchedulerSwitchGuard g = new SchedulerSwitchGuard(c -> {
            calls.add(c.startsWith("list") ? "list" : c.startsWith("delete") ? "lower" : "raise");
            return c.startsWith("list") ? "counter packets 5 bytes 280 drop" : "";
        });
        ApplyResult r = g.around(List.of(tcp("10.0.0.1", 80)), () -> {
            calls.add("edit");
            return new ApplyResult(List.of());
        });
        assertThat(r.outcomes()).isEmpty();
        assertThat(calls).containsExactly("raise", "edit", "list", "lower");
        assertThat(g.last()).isEqualTo(new SchedulerSwitchGuard.Outcome(true, 5, null));
        calls.clear();
        assertThatThrownBy(() -> g.around(List.of(tcp("10.0.0.1", 80)), () -> {
            calls.add("edit");
            throw new IOException("netlink: gone");
        })).hasMessage("netlink: gone");
        assertThat(calls).containsExactly("raise", "edit", "list", "lower");
    }

    @Test
    void whenNftFailsOrIsMissingTheSwitchStillHappensUnguarded() throws Exception {
        List<String> calls = new ArrayList<>();
        SchedulerSwitchGuard failing = new SchedulerSwitchGuard(c -> {
            calls.add(c);
            throw new IOException("nft: exit 1: Error: Could not process rule: Operation not permitted");
        });
        failing.around(List.of(tcp("10.0.0.1", 80)), () -> {
            calls.add("edit");
            return new ApplyResult(List.of());
        });
        assertThat(calls).hasSize(2).last().isEqualTo("edit");
        assertThat(failing.last().guarded()).isFalse();
        assertThat(failing.last().reason()).contains("Operation not permitted");

        SchedulerSwitchGuard missing = new SchedulerSwitchGuard(null);
        List<String> edits = new ArrayList<>();
        missing.around(List.of(tcp("10.0.0.1", 80)), () -> {
            edits.add("edit");
            return new ApplyResult(List.of());
        });
        assertThat(edits).containsExactly("edit");
        assertThat(missing.last()).isEqualTo(new SchedulerSwitchGuard.Outcome(false, 0, "nft is not installed"));
        missing.clearLeftover(); // nothing to run, nothing thrown
    }

    @Test
    void theStartsCleanUpLeavesAKernelWithoutNfTablesAlone() {
        List<String> calls = new ArrayList<>();
        new SchedulerSwitchGuard(c -> {
            calls.add(c);
            return "";
        }, () -> false).clearLeftover();
        assertThat(calls).as("nft would load nf_tables").isEmpty();
        new SchedulerSwitchGuard(c -> {
            calls.add(c);
            return "";
        }, () -> true).clearLeftover();
        assertThat(calls).containsExactly("add table inet lvsd_scheduler_switch; delete table inet lvsd_scheduler_switch");
    }

    @Test
    void aGuardThatCannotBeLoweredIsSaid() throws Exception {
        SchedulerSwitchGuard g = new SchedulerSwitchGuard(c -> {
            if (c.startsWith("delete")) {
                throw new IOException("nft: exit 1: Error: Could not process rule: Device or resource busy");
            }
            return "";
        });
        g.around(List.of(tcp("10.0.0.1", 80)), () -> new ApplyResult(List.of()));
        assertThat(g.last().guarded()).isTrue();
        assertThat(g.last().reason()).contains("Device or resource busy");
    }
}
