package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.netlink.Netlink;
import io.lvsd.linux.netlink.NetlinkProtocolException;
import io.lvsd.linux.netlink.NlAttrs;
import io.lvsd.linux.netlink.NlBuilder;
import io.lvsd.linux.netlink.NlMessage;
import io.lvsd.testkit.Fuzz;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The IPVS generic-netlink replies against {@link Fuzz#TRIES} generated inputs per property: services and
 * destinations encoded as the kernel's dump carries them parse back to themselves; the same messages with a few
 * edits, and noise, give a service, a destination, a sync daemon or a {@link NetlinkProtocolException} naming the
 * attribute, never another exception, within the allocation bound.
 */
class IpvsCodecPropertyTest {
    static final Generator<VirtualService> SERVICES = r -> {
        List<ServiceState> t = IpvsadmRestorePropertyTest.TABLES.generate(r);
        if (!t.isEmpty()) {
            return t.get(0).service();
        }
        return VirtualService.of(new ServiceKey.Fwmark(IpFamily.IPV4, r.longRange(1, 0xffffffffL)), "rr");
    };

    static final Generator<Destination> DESTINATIONS = r -> {
        boolean v6 = r.trueOrFalse();
        InetSocketAddress a = new InetSocketAddress(IpvsadmRestorePropertyTest.address(r, v6), r.intRange(0, 65535));
        Forwarding f = r.oneOf(Forwarding.NAT, Forwarding.DR, Forwarding.TUN);
        TunnelConfig tun = TunnelConfig.ipip();
        if (f == Forwarding.TUN && r.trueOrFalse()) {
            tun = new TunnelConfig(TunnelConfig.Type.GUE, r.intRange(1, 65535), r.oneOf(TunnelConfig.Checksum.values()));
        }
        return new Destination(a, f, r.intRange(0, 65535), r.longRange(0, 0xffffffffL), r.longRange(0, 0xffffffffL),
                tun);
    };

    static byte[] service(VirtualService v) {
        return IpvsCodec.putService(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_SERVICE, 1), v,
                true).build(3, 0);
    }

    static byte[] dest(Destination d) {
        return IpvsCodec.putDest(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_DEST, 1),
                d.address(), d, true).build(4, 0);
    }

    static NlAttrs attrs(byte[] msg) {
        return NlMessage.parseAll(msg, msg.length).get(0).genlAttrs();
    }

    @Test
    void servicesAndDestinationsParseBackToThemselves() {
        Fuzz.forAll(Fuzz.oneOf(r -> (Object) SERVICES.generate(r), r -> (Object) DESTINATIONS.generate(r)), x -> {
            if (x instanceof VirtualService v) {
                assertThat(IpvsCodec.parseService(attrs(service(v)))).isEqualTo(v);
            } else {
                Destination d = (Destination) x;
                IpFamily family = d.address().getAddress() instanceof java.net.Inet6Address ? IpFamily.IPV6
                        : IpFamily.IPV4;
                assertThat(IpvsCodec.parseDest(attrs(dest(d)), family).destination()).isEqualTo(d);
            }
        });
    }

    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Fuzz.forAll(16, SERVICES, v -> seeds.add(service(v)));
        Fuzz.forAll(16, DESTINATIONS, d -> seeds.add(dest(d)));
        seeds.add(IpvsCodec.putDaemon(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_DAEMON, 1),
                new SyncDaemon(SyncDaemon.Role.MASTER, "eth0", 7, 1472, null, 8848, 1)).build(5, 0));
        return seeds;
    }

    interface Parse {
        Object parse();
    }

    static void typed(Parse p) {
        try {
            p.parse();
        } catch (NetlinkProtocolException e) {
            assertThat(e.getMessage()).as("the error names the attribute").isNotBlank();
        }
    }

    @Test
    void anyReplyGivesAValueOrTheTypedErrorWithinTheAllocationBound() {
        Fuzz.forAll(Fuzz.mutated(seeds()), b -> {
            List<NlMessage> all;
            try {
                all = NlMessage.parseAll(b, b.length);
            } catch (NetlinkProtocolException e) {
                return;
            }
            for (NlMessage m : all) {
                typed(() -> IpvsCodec.parseService(m.genlAttrs()));
                typed(() -> IpvsCodec.parseServiceStats(m.genlAttrs()));
                typed(() -> IpvsCodec.parseDest(m.genlAttrs(), IpFamily.IPV4));
                typed(() -> IpvsCodec.parseDest(m.genlAttrs(), IpFamily.IPV6));
                typed(() -> IpvsCodec.parseDaemon(m.genlAttrs()));
            }
            Fuzz.allocationBounded(b, x -> {
                for (NlMessage m : NlMessage.parseAll(x, x.length)) {
                    typed(() -> IpvsCodec.parseService(m.genlAttrs()));
                    typed(() -> IpvsCodec.parseDest(m.genlAttrs(), IpFamily.IPV4));
                }
                return null;
            });
        });
    }
}
