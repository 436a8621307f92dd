package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.lvsd.linux.NativeException;
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
import java.util.Set;
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
    static final InetAddress OTHER_PEER = IpAddresses.parse("10.0.0.13");

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

    // ---- a reload's change of the two sockets' programs

    /** What a reload changes {@link #filter} to: VRID 52 from another peer now, VRID 54 new, VRIDs 51 and 53 gone. */
    final AdvertSocketFilter next = AdvertSocketFilter.of(IpFamily.IPV4, "eth0/IPV4", List.of(
            instance("VI_2", 52, "10.0.0.101/24", List.of("10.0.0.13"), true),
            instance("VI_4", 54, "10.0.0.103/24", List.of("10.0.0.12"), true)));

    /** Every kind of packet the two filters tell apart. */
    static List<Object[]> samples() {
        List<Object[]> s = new ArrayList<>();
        for (int vrid : new int[] {51, 52, 53, 54, 99}) {
            for (InetAddress source : List.of(PEER, OTHER_PEER, STRANGER)) {
                s.add(new Object[] {source, message(vrid)});
            }
        }
        s.add(new Object[] {STRANGER, new byte[] {0x31}});
        return s;
    }

    @Test
    void theUnionLetsInExactlyWhatEitherLetsIn() {
        AdvertSocketFilter union = filter.union(next);
        assertThat(union).hasToString("vrid 51, vrid 52 from 10.0.0.12 10.0.0.13, vrid 53, vrid 54 from 10.0.0.12");
        assertThat(union.checksSources()).isTrue();
        for (Object[] p : samples()) {
            InetAddress source = (InetAddress) p[0];
            byte[] m = (byte[]) p[1];
            boolean either = filter.classify(source, m) == null || next.classify(source, m) == null;
            assertThat(union.classify(source, m) == null).as("vrid %d from %s", m.length > 1 ? m[1] : -1, source)
                    .isEqualTo(either);
        }
    }

    @Test
    void theUnionWithAFilterThatChecksVridsOnlyChecksVridsOnly() {
        // VRIDs 1 and 2 with 300 and 200 IPv6 peers do not fit in one program: the kernel checks their VRIDs only.
        List<String> peers = new ArrayList<>();
        for (int p = 1; p <= 300; p++) {
            peers.add("fe80::" + Integer.toHexString(p));
        }
        AdvertSocketFilter big = AdvertSocketFilter.of(IpFamily.IPV6, "eth0/IPV6", List.of(
                instance("VI_1", 1, "2001:db8::1/64", peers, true),
                instance("VI_2", 2, "2001:db8::2/64", peers.subList(0, 200), true)));
        AdvertSocketFilter multicast = AdvertSocketFilter.of(IpFamily.IPV6, "eth0/IPV6", List.of(
                instance("VI_1", 1, "2001:db8::1/64", List.of(), true)));
        assertThat(big.checksSources()).isFalse();
        AdvertSocketFilter union = big.union(multicast);
        // VRID 1 from any source would leave VRID 2's 200 peers small enough to check; but big lets in any source
        // with VRID 2, and so must the union.
        assertThat(union.checksSources()).isFalse();
        assertThat(union.classify(IpAddresses.parse("fe80::999"), new byte[] {0x31, 2})).isNull();
    }

    @Test
    void aChangeWidensTheAdvertSocketFirstSoThatNoPacketReachesNeitherSocket() throws Exception {
        RecordingSockets sockets = new RecordingSockets(filter);
        AdvertSocketFilter.change(sockets, filter, next);
        assertThat(sockets.calls).containsExactly(
                "adverts: vrid 51, vrid 52 from 10.0.0.12 10.0.0.13, vrid 53, vrid 54 from 10.0.0.12",
                "rest: vrid 52 from 10.0.0.13, vrid 54 from 10.0.0.12",
                "adverts: vrid 52 from 10.0.0.13, vrid 54 from 10.0.0.12");
        assertThat(sockets.adverts).isEqualTo(next);
        assertThat(sockets.rest).isEqualTo(next);
        assertThat(sockets.lost).as("packets neither socket let in, after some step").isEmpty();

        RecordingSockets complementFirst = new RecordingSockets(filter);
        complementFirst.rest(next);
        complementFirst.adverts(next);
        assertThat(complementFirst.lost).as("the order before: VRID 54 reached neither socket for a moment")
                .contains("vrid 54 from 10.0.0.12");
    }

    @Test
    void aFailedStepIsUndoneSoTheFilterBeforeStays() {
        RecordingSockets unionFails = new RecordingSockets(filter).failing(1);
        assertThatThrownBy(() -> AdvertSocketFilter.change(unionFails, filter, next))
                .isInstanceOf(NativeException.class);
        assertThat(unionFails.calls).hasSize(1);
        assertThat(unionFails.adverts).isEqualTo(filter);

        RecordingSockets restFails = new RecordingSockets(filter).failing(2);
        assertThatThrownBy(() -> AdvertSocketFilter.change(restFails, filter, next))
                .isInstanceOf(NativeException.class);
        assertThat(restFails.calls).hasSize(3).endsWith("adverts: vrid 51, vrid 52 from 10.0.0.12, vrid 53");
        assertThat(restFails.adverts).isEqualTo(filter);
        assertThat(restFails.rest).isEqualTo(filter);

        RecordingSockets lastFails = new RecordingSockets(filter).failing(3);
        Throwable last = catchThrowable(() -> AdvertSocketFilter.change(lastFails, filter, next));
        assertThat(last).isInstanceOf(NativeException.class);
        assertThat(last.getSuppressed()).isEmpty();
        assertThat(lastFails.calls).hasSize(5).endsWith("rest: vrid 51, vrid 52 from 10.0.0.12, vrid 53",
                "adverts: vrid 51, vrid 52 from 10.0.0.12, vrid 53");
        assertThat(lastFails.adverts).isEqualTo(filter);
        assertThat(lastFails.rest).as("the complement before, restored").isEqualTo(filter);

        RecordingSockets undoFails = new RecordingSockets(filter).failing(3, 4);
        Throwable undone = catchThrowable(() -> AdvertSocketFilter.change(undoFails, filter, next));
        assertThat(undone).isInstanceOf(NativeException.class);
        assertThat(undone.getSuppressed()).as("undoing failed too").hasSize(1);
        assertThat(undoFails.calls).as("the advert socket keeps the union: its complement could not go back")
                .hasSize(4);
        assertThat(undoFails.adverts).isEqualTo(filter.union(next));
        assertThat(undoFails.rest).isEqualTo(next);

        for (RecordingSockets s : List.of(unionFails, restFails, lastFails, undoFails)) {
            assertThat(s.lost).as("packets neither socket let in, after some step").isEmpty();
        }
    }

    /**
     * A channel's two sockets as the kernel keeps their programs (a failed attach leaves the one before), checking
     * after each call that every sample packet reaches at least one of them.
     */
    static final class RecordingSockets implements AdvertSocketFilter.Sockets {
        AdvertSocketFilter adverts;
        AdvertSocketFilter rest;
        final List<String> calls = new ArrayList<>();
        /** Sample packets that reached neither socket after some call, as "vrid 54 from 10.0.0.12". */
        final List<String> lost = new ArrayList<>();
        private Set<Integer> failing = Set.of();

        RecordingSockets(AdvertSocketFilter both) {
            adverts = both;
            rest = both;
        }

        /** Calls number {@code calls} (from 1) fail, as an attach the kernel refuses. */
        RecordingSockets failing(Integer... calls) {
            failing = Set.of(calls);
            return this;
        }

        @Override
        public void adverts(AdvertSocketFilter f) throws NativeException {
            call("adverts", f);
            adverts = f;
            check();
        }

        @Override
        public void rest(AdvertSocketFilter f) throws NativeException {
            call("rest", f);
            rest = f;
            check();
        }

        private void call(String socket, AdvertSocketFilter f) throws NativeException {
            calls.add(socket + ": " + f);
            if (failing.contains(calls.size())) {
                throw new NativeException("setsockopt(" + socket + ", SO_ATTACH_FILTER)", 12, "ENOMEM", null);
            }
        }

        private void check() {
            for (Object[] p : samples()) {
                InetAddress source = (InetAddress) p[0];
                byte[] m = (byte[]) p[1];
                // The advert socket lets in what its filter lets in; the one beside it, what its filter keeps out.
                if (adverts.classify(source, m) != null && rest.classify(source, m) == null) {
                    lost.add("vrid " + (m[1] & 0xff) + " from " + IpAddresses.text(source));
                }
            }
        }
    }
}
