package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.SocketFilter;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.VrrpInstanceConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules of a VRRP socket's kernel filter, in Java ({@link AdvertSocketFilter#classify}); AdvertSocketFilterIT
 * holds the kernel's program to the same answers.
 */
class AdvertSocketFilterTest {
    static VrrpInstanceConfig instance(String name, int vrid, String vip, List<String> peers, boolean check) {
        return new VrrpInstanceConfig(name, "eth0", vrid, 100, 3, Duration.ofSeconds(1), true, Duration.ZERO, null,
                peers.stream().map(IpAddresses::parse).toList(), check, 0, null,
                List.of(new VrrpInstanceConfig.VirtualAddress(IpPrefix.parse(vip), null)), true,
                VrrpInstanceConfig.Track.none(), NotifyCommands.none());
    }

    static byte[] message(int vrid) {
        return new byte[] {0x31, (byte) vrid, 100, 1, 0, 100, 0, 0, 10, 0, 0, 100};
    }

    static final InetAddress PEER = IpAddresses.parse("10.0.0.12");
    static final InetAddress STRANGER = IpAddresses.parse("10.0.0.50");

    final AdvertSocketFilter filter = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
            instance("VI_1", 51, "10.0.0.100/24", List.of(), true),
            instance("VI_2", 52, "10.0.0.101/24", List.of("10.0.0.12"), true),
            instance("VI_3", 53, "10.0.0.102/24", List.of("10.0.0.12"), false)));

    @Test
    void aVridNoInstanceHasIsKeptOutAsAVridError() {
        assertThat(filter.classify(PEER, message(99))).isEqualTo(new AdvertFilter.Rejection(DropReason.VRID_ERROR,
                "no instance with vrid 99 on eth0/IPV4"));
        assertThat(filter.instance(message(99))).isEmpty();
    }

    @Test
    void aUnicastInstanceTakesOnlyItsPeersUnlessItsCheckIsOff() {
        assertThat(filter.classify(PEER, message(52))).isNull();
        assertThat(filter.classify(STRANGER, message(52))).isEqualTo(new AdvertFilter.Rejection(
                DropReason.UNICAST_SOURCE_ERROR, "source 10.0.0.50 (expected one of unicast-peers)"));
        assertThat(filter.instance(message(52))).isEqualTo("VI_2");
        assertThat(filter.classify(STRANGER, message(53))).as("unicast-peers-check = false").isNull();
    }

    @Test
    void aMulticastInstanceTakesAnySourceAndAShortPacketGoesToTheDecoder() {
        assertThat(filter.classify(STRANGER, message(51))).isNull();
        assertThat(filter.classify(STRANGER, new byte[] {0x31})).as("too short for a VRID: the decoder counts it")
                .isNull();
        assertThat(filter.classify(STRANGER, new byte[0])).isNull();
    }

    @Test
    void twoInstancesWithOneVridLetInWhatEitherTakes() {
        AdvertSocketFilter both = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
                instance("A", 60, "10.0.0.100/24", List.of("10.0.0.12"), true),
                instance("B", 60, "10.0.0.101/24", List.of("10.0.0.13"), true)));
        assertThat(both.classify(PEER, message(60))).isNull();
        assertThat(both.classify(IpAddresses.parse("10.0.0.13"), message(60))).isNull();
        assertThat(both.classify(STRANGER, message(60))).isNotNull();
        AdvertSocketFilter any = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
                instance("A", 60, "10.0.0.100/24", List.of("10.0.0.12"), true),
                instance("B", 60, "10.0.0.101/24", List.of(), true)));
        assertThat(any.classify(STRANGER, message(60))).as("one of them by multicast").isNull();
    }

    @Test
    void equalRulesAreTheSameFilterSoAReloadThatKeepsThemChangesNothing() {
        AdvertSocketFilter again = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
                instance("VI_1", 51, "10.0.0.100/24", List.of(), true),
                instance("VI_2", 52, "10.0.0.101/24", List.of("10.0.0.12"), true),
                instance("VI_3", 53, "10.0.0.102/24", List.of("10.0.0.12"), false)));
        assertThat(again).isEqualTo(filter).hasSameHashCodeAs(filter);
        assertThat(AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
                instance("VI_1", 51, "10.0.0.100/24", List.of(), true)))).isNotEqualTo(filter);
        assertThat(filter).hasToString("vrid 51, vrid 52 from 10.0.0.12, vrid 53");
    }

    @Test
    void aChannelTooLargeForOneProgramHasTheKernelCheckVridsOnly() {
        // 255 VRIDs on one interface, each unicast with 20 IPv6 peers: far more than the kernel's 4,096 instructions.
        List<VrrpInstanceConfig> many = new ArrayList<>();
        List<String> peers = new ArrayList<>();
        for (int p = 1; p <= 20; p++) {
            peers.add("fe80::" + Integer.toHexString(p));
        }
        for (int v = 1; v <= 255; v++) {
            many.add(instance("VI_" + v, v, "2001:db8::" + Integer.toHexString(v) + "/64", peers, true));
        }
        AdvertSocketFilter fits = AdvertSocketFilter.of(IpFamily.IPV6, "eth0/IPV6", many.subList(0, 18));
        assertThat(fits.checksSources()).isTrue();
        assertThat(fits.program(true).length()).isEqualTo(fits.program(false).length()).isLessThanOrEqualTo(4096);
        assertThat(fits.classify(IpAddresses.parse("fe80::99"), message(3))).isNotNull();
        AdvertSocketFilter all = AdvertSocketFilter.of(IpFamily.IPV6, "eth0/IPV6", many);
        assertThat(all.checksSources()).isFalse();
        assertThat(all.program(true).length()).isLessThanOrEqualTo(4096);
        assertThat(all.classify(IpAddresses.parse("fe80::99"), message(3))).as("the loop checks the source").isNull();
        assertThat(all.classify(IpAddresses.parse("fe80::1"), new byte[] {0x31, 0})).as("vrid 0: none has it")
                .isNotNull();
        assertThat(all.toString()).endsWith("(sources checked by lvsd, not the kernel: too many for one program)");
    }

    @Test
    void theProgramIsTheLengthCheckThenOneBlockPerVrid() {
        AdvertSocketFilter v4 = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
                instance("VI_1", 51, "10.0.0.100/24", List.of(), true)));
        // IHL + 2 against the length (7, with its short verdict), X reloaded; load VRID, compare, jump, let in;
        // the final reject.
        assertThat(v4.program(true).length()).isEqualTo(13);
        assertThat(filter.program(true).instructions()).isNotEqualTo(filter.program(false).instructions());
    }
}
