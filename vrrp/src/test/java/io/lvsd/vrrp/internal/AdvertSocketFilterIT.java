package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.NetNamespace;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kernel's filter against its Java twin, on real raw sockets between two namespaces the test builds, for both
 * families: every packet a sender sends reaches exactly one of the channel's two sockets, the advert socket exactly
 * when {@link AdvertSocketFilter#classify} lets it in, the other otherwise; and a filter replaced on a running
 * socket (a reload) takes effect for the next packet.
 */
class AdvertSocketFilterIT {
    record Sent(String what, InetAddress source, byte[] message) {
    }

    @Test
    void ipv4() throws Exception {
        run(IpFamily.IPV4, "10.97.0.12", "10.97.0.50", "224.0.0.18", "10.97.0.100/24");
    }

    @Test
    void ipv6() throws Exception {
        run(IpFamily.IPV6, "fd97::12", "fd97::50", "ff02::12", "fd97::100/64");
    }

    void run(IpFamily family, String peerText, String strangerText, String groupText, String vip) throws Exception {
        Lab.requireRoot("builds network namespaces and opens raw sockets");
        boolean v4 = family == IpFamily.IPV4;
        try (Netns ns = new Netns("lvsd-bpf")) {
            ns.bridge("lan");
            ns.link("a", "eth0", "lan", null);
            ns.link("b", "eth0", "lan", null);
            for (String a : List.of(peerText, strangerText)) {
                ns.exec("a", v4 ? new String[] {"ip", "addr", "add", a + "/24", "dev", "eth0"}
                        : new String[] {"ip", "addr", "add", a + "/64", "dev", "eth0", "nodad"});
            }
            ns.exec("b", v4 ? new String[] {"ip", "addr", "add", "10.97.0.2/24", "dev", "eth0"}
                    : new String[] {"ip", "addr", "add", "fd97::2/64", "dev", "eth0", "nodad"});
            InetAddress peer = IpAddresses.parse(peerText);
            InetAddress stranger = IpAddresses.parse(strangerText);
            InetAddress group = IpAddresses.parse(groupText);
            String key = "eth0/" + family;
            AdvertSocketFilter filter = AdvertSocketFilter.of(family, key, List.of(
                    AdvertSocketFilterTest.instance("VI_1", 51, vip, List.of(), true),
                    AdvertSocketFilterTest.instance("VI_2", 52, vip, List.of(peerText), true),
                    AdvertSocketFilterTest.instance("VI_3", 53, vip, List.of(peerText), false)));
            RawIpSocket[] rx = NetNamespace.call(ns.name("b"), () -> {
                int index = NetworkInterface.getByName("eth0").getIndex();
                RawIpSocket adverts = RawIpSocket.open(family, VrrpCodec.PROTOCOL, "eth0", index, 0xc0, 100);
                RawIpSocket rest = RawIpSocket.open(family, VrrpCodec.PROTOCOL, "eth0", index, 0xc0, 100);
                adverts.attach(filter.program(true));
                rest.attach(filter.program(false));
                adverts.joinGroup(group);
                rest.joinGroup(group);
                return new RawIpSocket[] {adverts, rest};
            });
            RawIpSocket tx = NetNamespace.call(ns.name("a"), () -> RawIpSocket.open(family, VrrpCodec.PROTOCOL,
                    "eth0", NetworkInterface.getByName("eth0").getIndex(), 0xc0, 100));
            try (RawIpSocket adverts = rx[0]; RawIpSocket rest = rx[1]; tx) {
                List<Sent> round = List.of(
                        new Sent("vrid 51 (multicast) from a stranger", stranger, message(51, 1)),
                        new Sent("vrid 52 (unicast) from its peer", peer, message(52, 2)),
                        new Sent("vrid 52 (unicast) from a stranger", stranger, message(52, 3)),
                        new Sent("vrid 53 (unicast, no check) from a stranger", stranger, message(53, 4)),
                        new Sent("vrid 99 (none) from a peer", peer, message(99, 5)),
                        new Sent("vrid 0 (none) from a stranger", stranger, message(0, 6)),
                        new Sent("a 1-byte message", peer, new byte[] {0x31}),
                        new Sent("vrid 51 from the peer", peer, message(51, 8)));
                exchange(filter, round, tx, group, adverts, rest);

                // A reload: VI_1 gone, vrid 99 by unicast from the stranger only. The next packets meet the new program.
                // (The kernel takes the union program of the change's first step.)
                AdvertSocketFilter next = AdvertSocketFilter.of(family, key, List.of(
                        AdvertSocketFilterTest.instance("VI_2", 52, vip, List.of(peerText), true),
                        AdvertSocketFilterTest.instance("VI_9", 99, vip, List.of(strangerText), true)));
                AdvertSocketFilter.change(new AdvertSocketFilter.Sockets() {
                    @Override
                    public void adverts(AdvertSocketFilter f) throws NativeException {
                        adverts.attach(f.program(true));
                    }

                    @Override
                    public void rest(AdvertSocketFilter f) throws NativeException {
                        rest.attach(f.program(false));
                    }
                }, filter, next);
                exchange(next, List.of(
                        new Sent("vrid 51, no longer here", stranger, message(51, 11)),
                        new Sent("vrid 99 from its new peer", stranger, message(99, 12)),
                        new Sent("vrid 99 from another", peer, message(99, 13)),
                        new Sent("vrid 52 from its peer", peer, message(52, 14))), tx, group, adverts, rest);
            }
        }
    }

    /** A VRRPv3 advert for {@code vrid}, told apart by {@code tag} in its priority field. */
    static byte[] message(int vrid, int tag) {
        byte[] m = AdvertSocketFilterTest.message(vrid);
        m[2] = (byte) tag;
        return m;
    }

    static void exchange(AdvertSocketFilter filter, List<Sent> round, RawIpSocket tx, InetAddress group,
                         RawIpSocket adverts, RawIpSocket rest) throws Exception {
        for (Sent s : round) {
            tx.send(s.message(), s.source(), group);
        }
        Map<String, String> got = new LinkedHashMap<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.size() < round.size() && System.nanoTime() < deadline) {
            for (RawIpSocket s : List.of(adverts, rest)) {
                RawIpSocket.Packet p = s.receive(); // at most 100 ms
                if (p != null) {
                    String what = whatWas(round, p.payload());
                    String socket = s == adverts ? "advert socket" : "counting socket";
                    assertThat(got.put(what, socket)).as(what + ": received twice").isNull();
                }
            }
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (Sent s : round) {
            expected.put(s.what(), filter.classify(s.source(), s.message()) == null ? "advert socket" : "counting socket");
        }
        assertThat(got).as("where each packet went (filter: " + filter + ")").isEqualTo(expected);
        assertThat(adverts.hasQueued()).isFalse();
        assertThat(rest.hasQueued()).isFalse();
        assertThat(adverts.dropped()).isZero();
    }

    static String whatWas(List<Sent> round, byte[] payload) {
        List<String> matches = new ArrayList<>();
        for (Sent s : round) {
            if (java.util.Arrays.equals(s.message(), payload)) {
                matches.add(s.what());
            }
        }
        assertThat(matches).as("a packet the test sent").hasSize(1);
        return matches.get(0);
    }
}
