package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.internal.SyncCodec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatchUpTest {
    static final String DONE = String.join("",
            "00", "07", "0018",         // no version 0 entries, sync id 7, size 24
            "4c565344",                 // "LVSD": byte 5 is not 1, so a kernel reads version 0 with no entries
            "01", "02", "0000",         // catch-up version 1, kind 2 (done), 0
            "0123456789abcdef",         // nonce
            "00000065");                // 101 entries replayed

    @Test
    void aDoneIsTwentyFourBytesAKernelReadsAsAnEmptyVersionZeroMessage() {
        byte[] b = SyncCodec.encode(CatchUp.done(7, 0x0123456789abcdefL, 101));
        assertThat(HexFormat.of().formatHex(b)).isEqualTo(DONE);
        assertThat(b[0]).as("version 0 entry count").isZero();
        assertThat(b[5]).as("not version 1").isNotEqualTo((byte) 1);
        assertThat(SyncCodec.decode(b)).isEqualTo(new SyncCodec.Control(CatchUp.done(7, 0x0123456789abcdefL, 101)));
        assertThat(SyncCodec.decode(SyncCodec.encode(CatchUp.request(0, -1))))
                .isEqualTo(new SyncCodec.Control(CatchUp.request(0, -1)));
        assertThat(SyncCodec.decode(SyncCodec.encode(CatchUp.accepted(255, 5))))
                .isEqualTo(new SyncCodec.Control(CatchUp.accepted(255, 5)));
    }

    @Test
    void anUnknownKindOrVersionIsMalformedAndNamesTheField() {
        byte[] b = HexFormat.of().parseHex(DONE);
        b[9] = 9;
        assertThat(SyncCodec.decode(b)).isEqualTo(new SyncCodec.Malformed(SyncCodec.Error.CATCH_UP,
                "catch-up kind: 9 (expected: 1 request, 2 done or 3 accepted)"));
        b = HexFormat.of().parseHex(DONE);
        b[8] = 2;
        assertThat(SyncCodec.decode(b)).isEqualTo(new SyncCodec.Malformed(SyncCodec.Error.CATCH_UP,
                "catch-up version: 2 (expected: 1)"));
    }

    @Test
    void theConnectionTableParsesIpv4Ipv6TemplatesAndPersistenceEngines() {
        assertThat(ConnTable.parse("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData"))
                .isNull();
        ConnTable.Entry e = ConnTable.parse("TCP 0A630032 A90E 0A630064 0050 0A630015 0050 ESTABLISHED     899");
        assertThat(e).isEqualTo(new ConnTable.Entry(6, IpAddresses.parse("10.99.0.50"), 43278,
                IpAddresses.parse("10.99.0.100"), 80, IpAddresses.parse("10.99.0.21"), 80, "ESTABLISHED", 899, null));
        assertThat(e.template()).isFalse();
        ConnTable.Entry v6 = ConnTable.parse("UDP 2001:0db8:0000:0000:0000:0000:0000:0032 C350 "
                + "2001:0db8:0000:0000:0000:0000:0000:0064 0035 2001:0db8:0000:0000:0000:0000:0001:0031 0035 UDP "
                + "             12");
        assertThat(v6.client()).isEqualTo(IpAddresses.parse("2001:db8::32"));
        assertThat(v6.real()).isEqualTo(IpAddresses.parse("2001:db8::1:31"));
        assertThat(ConnTable.parse("TCP 0A630032 0000 0A630064 0050 0A630015 0050 NONE            300").template())
                .isTrue();
        assertThat(ConnTable.parse("UDP 0A630032 0000 0A630064 0035 0A630015 0035 ASSURED         300").template())
                .isTrue();
        assertThat(ConnTable.parse("IP  0A630032 0000 00000005 0000 0A630015 0000 NONE            300").template())
                .isTrue();
        assertThat(ConnTable.parse("UDP 0A630032 13C4 0A630064 13C4 0A630015 13C4 UDP             30 sip 1234@host")
                .peName()).isEqualTo("sip");
        assertThatThrownBy(() -> ConnTable.parse("ICMP 0A630032 13C4 0A630064 13C4 0A630015 13C4 X 30"))
                .hasMessage("protocol: \"ICMP\" (expected: TCP, UDP, SCTP or IP)");
        assertThatThrownBy(() -> ConnTable.parse("TCP 0A630032 A90E 0A630064"))
                .hasMessageContaining("4 fields (expected: at least 9)");
        assertThatThrownBy(() -> ConnTable.parse("TCP 0A6300ZZ A90E 0A630064 0050 0A630015 0050 ESTABLISHED 899"))
                .hasMessageContaining("0A6300ZZ");
    }

    @Test
    void theConnectionTableKeepsIpv6ColumnsIpv6AndReadsOnlyWhatTheKernelPrints() {
        // Found by ConnTablePropertyTest: Java reads ::ffff:a.b.c.d as IPv4, so an IPv6 entry came back mixed.
        ConnTable.Entry mapped = ConnTable.parse("TCP 0000:0000:0000:0000:0000:ffff:0a63:0032 A90E "
                + "2001:0db8:0000:0000:0000:0000:0000:0064 0050 0000:0000:0000:0000:0000:ffff:0a63:0015 0050 "
                + "ESTABLISHED     899");
        assertThat(mapped.client()).isInstanceOf(java.net.Inet6Address.class);
        assertThat(mapped.client().getAddress()).hasSize(16);
        assertThat(mapped.real()).isInstanceOf(java.net.Inet6Address.class);
        // The kernel prints %04X, %08X and %7u: no sign, and no field without its name in the error.
        assertThatThrownBy(() -> ConnTable.parse("TCP 0A630032 -001 0A630064 0050 0A630015 0050 ESTABLISHED 899"))
                .hasMessageEndingWith(": port \"-001\" (expected: 4 hex digits)");
        assertThatThrownBy(() -> ConnTable.parse("TCP -0000001 A90E 0A630064 0050 0A630015 0050 ESTABLISHED 899"))
                .hasMessageEndingWith(": address \"-0000001\" (expected: 8 hex digits or an IPv6 address)");
        assertThatThrownBy(() -> ConnTable.parse("TCP 0A630032 A90E 0A630064 0050 10.0.0.1 0050 ESTABLISHED 899"))
                .hasMessageEndingWith(": address \"10.0.0.1\" (expected: 8 hex digits or an IPv6 address)");
        assertThatThrownBy(() -> ConnTable.parse("TCP 0A630032 A90E 0A630064 0050 0A630015 0050 ESTABLISHED -5"))
                .hasMessageEndingWith(": expires \"-5\" (expected: whole seconds)");
    }

    static List<SyncConnection> replay(List<io.lvsd.ipvs.ServiceState> table, IpFamily family, String... lines) {
        List<SyncConnection> out = new ArrayList<>();
        CatchUpReplay r = new CatchUpReplay(table, 3, 1500, family, d -> {
            SyncCodec.Result res = SyncCodec.decode(d);
            assertThat(d.length).isLessThanOrEqualTo(1500 - (family == IpFamily.IPV6 ? 48 : 28));
            out.addAll(((SyncCodec.Decoded) res).message().connections());
        });
        for (String l : lines) {
            r.add(ConnTable.parse(l));
        }
        r.finish();
        return out;
    }

    @Test
    void templatesOfAddressAndFirewallMarkServicesReplayWithTheirMarkAndNoInactiveFlag() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.99.0.100"), 0));
        ServiceKey mark = new ServiceKey.Fwmark(IpFamily.IPV4, 5);
        InetSocketAddress r1 = new InetSocketAddress(IpAddresses.parse("10.99.0.21"), 0);
        k.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "rr")),
                new IpvsOp.AddDest(web, Destination.of(r1, Forwarding.TUN, 1)),
                new IpvsOp.AddService(VirtualService.of(mark, "rr")),
                new IpvsOp.AddDest(mark, Destination.of(r1, Forwarding.DR, 1))));
        List<SyncConnection> c = replay(k.dump(), IpFamily.IPV4,
                // a port-0 persistent service: its template and a connection on port 8080
                "TCP 0A630032 0000 0A630064 0000 0A630015 0000 NONE            300",
                "TCP 0A630032 9C40 0A630064 1F90 0A630015 1F90 SYN_RECV         60",
                // fwmark 5's template: protocol IP, the mark as virtual address
                "IP  0A630033 0000 00000005 0000 0A630015 0000 ASSURED         300");
        assertThat(c).extracting(SyncConnection::flags).containsExactly(
                SyncConnection.F_TUNNEL | SyncConnection.F_NOOUTPUT | SyncConnection.F_TEMPLATE,
                SyncConnection.F_TUNNEL | SyncConnection.F_NOOUTPUT | SyncConnection.F_INACTIVE,
                SyncConnection.F_DROUTE | SyncConnection.F_NOOUTPUT | SyncConnection.F_TEMPLATE);
        assertThat(c).extracting(SyncConnection::state).containsExactly(0, 3, 1);
        assertThat(c).extracting(SyncConnection::fwmark).containsExactly(0L, 0L, 5L);
        assertThat(c.get(2).protocol()).isZero();
    }

    @Test
    void ipv6EntriesFitEighteenToADatagramAndUnplacedOnesAreCounted() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("2001:db8::64"), 80));
        k.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "rr")), new IpvsOp.AddDest(web,
                Destination.of(new InetSocketAddress(IpAddresses.parse("2001:db8::1:31"), 80), Forwarding.DR, 1))));
        List<Integer> sizes = new ArrayList<>();
        CatchUpReplay r = new CatchUpReplay(k.dump(), 0, 1500, IpFamily.IPV6,
                d -> sizes.add(((SyncCodec.Decoded) SyncCodec.decode(d)).message().connections().size()));
        for (int i = 0; i < 40; i++) {
            r.add(ConnTable.parse(String.format("TCP 2001:0db8:0000:0000:0000:0000:0000:0032 %04X "
                    + "2001:0db8:0000:0000:0000:0000:0000:0064 0050 2001:0db8:0000:0000:0000:0000:0001:0031 0050 "
                    + "ESTABLISHED     899", 30000 + i)));
        }
        r.add(ConnTable.parse("TCP 2001:0db8:0000:0000:0000:0000:0000:0032 7530 "
                + "2001:0db8:0000:0000:0000:0000:0000:0099 0050 2001:0db8:0000:0000:0000:0000:0001:0031 0050 "
                + "ESTABLISHED     899"));
        r.add(ConnTable.parse("UDP 0A630032 13C4 0A630064 13C4 0A630015 13C4 UDP             30 sip 1234@host"));
        CatchUpReplay.Result res = r.finish();
        // (1500 - 48 - 8) / 72 = 20 entries per datagram
        assertThat(sizes).containsExactly(20, 20);
        assertThat(res).isEqualTo(new CatchUpReplay.Result(40, 2, 1, 1));
    }
}
