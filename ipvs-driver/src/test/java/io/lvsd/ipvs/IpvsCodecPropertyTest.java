package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.netlink.Netlink;
import io.lvsd.linux.netlink.NetlinkProtocolException;
import io.lvsd.linux.netlink.NlAttrs;
import io.lvsd.linux.netlink.NlBuilder;
import io.lvsd.linux.netlink.NlMessage;
import io.lvsd.testkit.Fuzz;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The IPVS generic-netlink replies against {@link Fuzz#TRIES} generated inputs per property: services (with their
 * STATS64 or old STATS counters), destinations (with connection counts and counters) and sync daemons, laid out as
 * the kernel's dump carries them, parse back to themselves; the same messages with a few edits (and IpvsCodecTest's
 * golden messages, and noise) give values that re-encode to themselves, or a {@link NetlinkProtocolException}
 * naming the attribute or header, never another exception, within the allocation bound.
 */
class IpvsCodecPropertyTest {
    /** A service with any of the flags an operator sets, persistence, netmask and persistence engine. */
    static final Generator<VirtualService> SERVICES = r -> {
        boolean v6 = r.trueOrFalse();
        IpFamily family = v6 ? IpFamily.IPV6 : IpFamily.IPV4;
        ServiceKey key = r.intRange(0, 3) == 0 ? new ServiceKey.Fwmark(family, r.longRange(1, 0xffffffffL))
                : new ServiceKey.Addr(r.oneOf(Protocol.values()),
                        new InetSocketAddress(IpvsadmRestorePropertyTest.address(r, v6), r.intRange(0, 65535)));
        long netmask = v6 ? r.intRange(1, 128) : r.longRange(0, 0xffffffffL);
        return new VirtualService(key, r.alphanumeric(r.intRange(1, 15)), r.intRange(0, VirtualService.USER_FLAGS),
                r.longRange(0, 0xffffffffL), netmask, r.trueOrFalse() ? null : r.alphanumeric(r.intRange(1, 15)));
    };

    /** Any valid encapsulation: ipip, gue with a port and any checksum, gre with or without one. */
    static TunnelConfig tunnel(Random r) {
        return switch (r.intRange(0, 2)) {
            case 0 -> TunnelConfig.ipip();
            case 1 -> new TunnelConfig(TunnelConfig.Type.GUE, r.intRange(1, 65535), r.oneOf(TunnelConfig.Checksum.values()));
            default -> new TunnelConfig(TunnelConfig.Type.GRE, 0,
                    r.oneOf(TunnelConfig.Checksum.NONE, TunnelConfig.Checksum.CSUM));
        };
    }

    static final Generator<Destination> DESTINATIONS = r -> {
        InetSocketAddress a = new InetSocketAddress(IpvsadmRestorePropertyTest.address(r, r.trueOrFalse()),
                r.intRange(0, 65535));
        Forwarding f = r.oneOf(Forwarding.values());
        return new Destination(a, f, r.intRange(0, Integer.MAX_VALUE), r.longRange(0, 0xffffffffL),
                r.longRange(0, 0xffffffffL), f == Forwarding.TUN ? tunnel(r) : TunnelConfig.ipip());
    };

    static final Generator<SyncDaemon> DAEMONS = r -> {
        InetAddress group = switch (r.intRange(0, 2)) {
            case 0 -> null;
            case 1 -> IpvsadmRestorePropertyTest.address(r, false);
            default -> IpvsadmRestorePropertyTest.address(r, true);
        };
        return new SyncDaemon(r.oneOf(SyncDaemon.Role.values()), r.alphanumeric(r.intRange(1, 15)), r.intRange(0, 255),
                r.intRange(0, 65535), group, r.intRange(0, 65535), r.intRange(0, 255));
    };

    /** Counters: u64 for STATS64; for the old STATS, u32 but for the byte counts, which were u64 there too. */
    static Stats stats(Random r, boolean old) {
        long[] v = new long[10];
        for (int i = 0; i < v.length; i++) {
            v[i] = old && i != 3 && i != 4 ? r.longRange(0, 0xffffffffL) : r.longRange(Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return new Stats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
    }

    /** A NEW_SERVICE dump message: the service, and the counters the kernel appends to its nest. */
    record ServiceDump(VirtualService service, Stats stats64, Stats stats) {
        byte[] encode() {
            byte[] attrs = attrs(b -> {
                if (stats64 != null) {
                    putStats(b, IpvsCodec.SVC_ATTR_STATS64, stats64, false);
                }
                if (stats != null) {
                    putStats(b, IpvsCodec.SVC_ATTR_STATS, stats, true);
                }
            });
            return appendToNest(IpvsCodecPropertyTest.service(service), attrs);
        }

        Stats expectedStats() {
            return stats64 != null ? stats64 : stats != null ? stats : Stats.ZERO;
        }
    }

    /** A NEW_DEST dump message: the destination, its connection counts and its counters. */
    record DestDump(ServiceState.DestinationState state, IpFamily serviceFamily, boolean old) {
        byte[] encode() {
            byte[] attrs = attrs(b -> {
                b.u32(IpvsCodec.DEST_ATTR_ACTIVE_CONNS, state.activeConnections())
                        .u32(IpvsCodec.DEST_ATTR_INACT_CONNS, state.inactiveConnections())
                        .u32(IpvsCodec.DEST_ATTR_PERSIST_CONNS, state.persistentConnections());
                putStats(b, old ? IpvsCodec.DEST_ATTR_STATS : IpvsCodec.DEST_ATTR_STATS64, state.stats(), old);
            });
            return appendToNest(dest(state.destination()), attrs);
        }
    }

    static final Generator<ServiceDump> SERVICE_DUMPS = r -> {
        int which = r.intRange(0, 3); // neither, STATS64, STATS, both (STATS64 wins)
        return new ServiceDump(SERVICES.generate(r), (which & 1) != 0 ? stats(r, false) : null,
                (which & 2) != 0 ? stats(r, true) : null);
    };

    static final Generator<DestDump> DEST_DUMPS = r -> {
        boolean old = r.trueOrFalse();
        return new DestDump(new ServiceState.DestinationState(DESTINATIONS.generate(r), r.longRange(0, 0xffffffffL),
                r.longRange(0, 0xffffffffL), r.longRange(0, 0xffffffffL), stats(r, old)),
                r.oneOf(IpFamily.values()), old);
    };

    static byte[] service(VirtualService v) {
        return IpvsCodec.putService(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_SERVICE, 1), v,
                true).build(3, 0);
    }

    static byte[] dest(Destination d) {
        return IpvsCodec.putDest(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_DEST, 1),
                d.address(), d, true).build(4, 0);
    }

    static byte[] daemon(SyncDaemon d) {
        return IpvsCodec.putDaemon(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_DAEMON, 1), d)
                .build(5, 0);
    }

    /** struct ip_vs_stats64 / the old ip_vs_stats_user layout: conns..outpkts u32, the byte counts u64, rates u32. */
    static void putStats(NlBuilder b, int attr, Stats s, boolean old) {
        long[] v = {s.connections(), s.inPackets(), s.outPackets(), s.inBytes(), s.outBytes(), s.cps(), s.inPps(),
                s.outPps(), s.inBps(), s.outBps()};
        b.nest(attr);
        for (int i = 0; i < v.length; i++) {
            if (old && i != 3 && i != 4) {
                b.u32(IpvsCodec.STATS_CONNS + i, v[i]);
            } else {
                b.u64(IpvsCodec.STATS_CONNS + i, v[i]);
            }
        }
        b.end();
    }

    /** Attributes alone, as NlBuilder lays them out after a message's headers. */
    static byte[] attrs(java.util.function.Consumer<NlBuilder> put) {
        NlBuilder b = NlBuilder.request(0, 0);
        put.accept(b);
        byte[] m = b.build(0, 0);
        return Arrays.copyOfRange(m, Netlink.NLMSG_HDRLEN, m.length);
    }

    /**
     * {@code msg} (headers and one nest, as the encoders build it) with {@code attrs} appended to that nest, as the
     * kernel's dump appends the counters to the service or destination nest.
     */
    static byte[] appendToNest(byte[] msg, byte[] attrs) {
        byte[] out = Arrays.copyOf(msg, msg.length + attrs.length);
        System.arraycopy(attrs, 0, out, msg.length, attrs.length);
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
        int nest = Netlink.NLMSG_HDRLEN + 4; // after nlmsghdr and genlmsghdr
        b.putInt(0, out.length).putShort(nest, (short) (Short.toUnsignedInt(b.getShort(nest)) + attrs.length));
        return out;
    }

    static NlAttrs attrs(byte[] msg) {
        List<NlMessage> all = NlMessage.parseAll(msg, msg.length);
        assertThat(all).hasSize(1);
        return all.get(0).genlAttrs();
    }

    @Test
    void dumpedServicesDestinationsAndDaemonsParseBackToThemselves() {
        Fuzz.forAll(Fuzz.oneOf(SERVICE_DUMPS, DEST_DUMPS, DAEMONS), x -> {
            if (x instanceof ServiceDump s) {
                NlAttrs a = attrs(s.encode());
                assertThat(IpvsCodec.parseService(a)).isEqualTo(s.service());
                assertThat(IpvsCodec.parseServiceStats(a)).isEqualTo(s.expectedStats());
                assertThat(service(IpvsCodec.parseService(attrs(service(s.service()))))).containsExactly(service(s.service()));
            } else if (x instanceof DestDump d) {
                assertThat(IpvsCodec.parseDest(attrs(d.encode()), d.serviceFamily())).isEqualTo(d.state());
                byte[] plain = dest(d.state().destination());
                assertThat(dest(IpvsCodec.parseDest(attrs(plain), d.serviceFamily()).destination())).containsExactly(plain);
            } else {
                SyncDaemon d = (SyncDaemon) x;
                assertThat(IpvsCodec.parseDaemon(attrs(daemon(d)))).isEqualTo(d);
                assertThat(daemon(IpvsCodec.parseDaemon(attrs(daemon(d))))).containsExactly(daemon(d));
            }
        });
    }

    static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
    }

    /**
     * IpvsCodecTest's golden messages (a NEW_SERVICE request; a NEW_DEST request, service key and tunnelled
     * destination), generated dump messages, and dumps of several messages: what the mutations start from.
     */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        // Little-endian, as IpvsCodecTest's golden bytes (the hosts this runs on are).
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            seeds.add(hex("68000000 2300 0500 01000000 00000000 0101 0000 5400 0100 0600 0100 0200 0000"
                    + " 0600 0200 0600 0000 1400 0300 0a000001 000000000000000000000000 0600 0400 0050 0000"
                    + " 0800 0600 776c6300 0c00 0700 01000000 ffffffff 0800 0800 2c010000 0800 0900 ffffff00"));
        }
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));
        Destination tunnelled = new Destination(new InetSocketAddress(IpAddresses.parse("10.1.0.6"), 80), Forwarding.TUN,
                3, 100, 50, new TunnelConfig(TunnelConfig.Type.GUE, 6080, TunnelConfig.Checksum.CSUM));
        seeds.add(IpvsCodec.putDest(IpvsCodec.putServiceKey(NlBuilder.request(0x23, Netlink.NLM_F_ACK)
                .genl(IpvsCodec.CMD_NEW_DEST, 1), web), tunnelled.address(), tunnelled, true).build(2, 0));
        Fuzz.forAll(24, SERVICE_DUMPS, s -> seeds.add(s.encode()));
        Fuzz.forAll(24, DEST_DUMPS, d -> seeds.add(d.encode()));
        Fuzz.forAll(8, DAEMONS, d -> seeds.add(daemon(d)));
        for (int i = 0; i + 2 < seeds.size() && i < 12; i += 3) {
            byte[] a = seeds.get(i);
            byte[] b = seeds.get(i + 1);
            byte[] both = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            seeds.add(both);
        }
        return seeds;
    }

    /** Runs one parser: a value, or the typed error naming what it could not read. */
    static void valueOrTypedError(Supplier<Object> parse) {
        try {
            Object v = parse.get();
            assertThat(v).isNotNull();
            // What was accepted is a valid value: it encodes, and reads back to itself.
            if (v instanceof VirtualService s) {
                assertThat(IpvsCodec.parseService(attrs(service(s)))).isEqualTo(s);
            } else if (v instanceof ServiceState.DestinationState d) {
                assertThat(IpvsCodec.parseDest(attrs(dest(d.destination())), IpFamily.IPV4).destination())
                        .isEqualTo(d.destination());
            } else if (v instanceof SyncDaemon d) {
                assertThat(IpvsCodec.parseDaemon(attrs(daemon(d)))).isEqualTo(d);
            }
        } catch (NetlinkProtocolException e) {
            assertNamesWhatItCouldNotRead(e);
        }
    }

    static final Pattern NAMED = Pattern.compile("(IPVS_[A-Z0-9_]+|attribute type \\d+|nlmsghdr|genlmsghdr)[: ].+");

    static void assertNamesWhatItCouldNotRead(NetlinkProtocolException e) {
        if (!NAMED.matcher(e.getMessage()).matches()) { // not AssertJ: this runs 60,000 times
            throw new AssertionError("the error does not name the attribute or header: " + e.getMessage(), e);
        }
    }

    /** Every message of {@code b}, through every parser. */
    static void parseEverything(byte[] b) {
        List<NlMessage> all;
        try {
            all = NlMessage.parseAll(b, b.length);
        } catch (NetlinkProtocolException e) {
            assertNamesWhatItCouldNotRead(e);
            return;
        }
        for (NlMessage m : all) {
            NlAttrs[] a = new NlAttrs[1];
            valueOrTypedError(() -> a[0] = m.genlAttrs());
            if (a[0] == null) {
                continue;
            }
            valueOrTypedError(() -> IpvsCodec.parseService(a[0]));
            valueOrTypedError(() -> IpvsCodec.parseServiceStats(a[0]));
            valueOrTypedError(() -> IpvsCodec.parseDest(a[0], IpFamily.IPV4));
            valueOrTypedError(() -> IpvsCodec.parseDest(a[0], IpFamily.IPV6));
            valueOrTypedError(() -> IpvsCodec.parseDaemon(a[0]));
        }
    }

    @Test
    void anyReplyGivesValuesOrTheTypedErrorWithinTheAllocationBound() {
        Fuzz.forAll(Fuzz.mutated(seeds()), b -> {
            parseEverything(b);
            Fuzz.allocationBounded(b, x -> {
                for (NlMessage m : NlMessage.parseAll(x, x.length)) {
                    NlAttrs a = m.genlAttrs();
                    for (Supplier<Object> p : List.<Supplier<Object>>of(() -> IpvsCodec.parseService(a),
                            () -> IpvsCodec.parseServiceStats(a), () -> IpvsCodec.parseDest(a, IpFamily.IPV6),
                            () -> IpvsCodec.parseDaemon(a))) {
                        try {
                            p.get();
                        } catch (NetlinkProtocolException rejected) {
                            // judged above
                        }
                    }
                }
                return null;
            });
        });
    }
}
