package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.SyncConnection.SeqData;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tshark's IPVS sync dissector (Wireshark's packet-ipvs-syncd) reads the messages lvsd's codec encodes as the
 * fields lvsd put in: an independent decoder as the oracle for the encoder.
 */
class SyncCodecTsharkIT {
    @TempDir
    Path dir;

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /** An Ethernet + IPv4 + UDP frame from 10.94.0.1:34018 to 224.0.0.81:8848 carrying {@code payload}. */
    static byte[] frame(byte[] payload) {
        ByteBuffer f = ByteBuffer.allocate(14 + 20 + 8 + payload.length).order(ByteOrder.BIG_ENDIAN);
        f.put(new byte[] {1, 0, 0x5e, 0, 0, 0x51}).put(new byte[] {2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload.length)).putInt(0)
                .put((byte) 1).put((byte) 17).putShort((short) 0).put(new byte[] {10, 94, 0, 1})
                .put(new byte[] {(byte) 224, 0, 0, 81});
        f.putShort((short) 34018).putShort((short) 8848).putShort((short) (8 + payload.length)).putShort((short) 0);
        f.put(payload);
        return f.array();
    }

    static byte[] pcap(List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.writeBytes(h.array());
        int t = 0;
        for (byte[] f : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000 + t++).putInt(0).putInt(f.length).putInt(f.length);
            out.writeBytes(r.array());
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    String tshark(Path file, String... fields) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("tshark", "-r", file.toString(), "-d",
                "udp.port==8848,ipvs", "-T", "fields", "-E", "separator=|"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        // Sh.ok merges stderr, where tshark warns that it runs as root.
        return Sh.ok(cmd.toArray(new String[0])).lines().filter(l -> !l.startsWith("Running as user"))
                .collect(java.util.stream.Collectors.joining("\n")).trim();
    }

    @Test
    void tsharkReadsWhatTheCodecEncodes() throws Exception {
        Lab.requireCommand("tshark", "tshark");
        SyncConnection tcp = new SyncConnection(IpFamily.IPV4, 6, SyncConnection.F_DROUTE | SyncConnection.F_IN_SEQ,
                1, ip("10.1.0.7"), 40001, ip("10.1.0.100"), 443, ip("10.1.0.21"), 8443, 42, 900,
                new SeqData(7, 8, 9, 10, 11, 12), null, null, List.of());
        SyncConnection udp = SyncConnection.of(17, SyncConnection.F_MASQ | SyncConnection.F_INACTIVE, 0,
                ip("10.1.0.8"), 5353, ip("10.1.0.100"), 53, ip("10.1.0.22"), 53, 300);
        SyncConnection v6 = SyncConnection.of(6, SyncConnection.F_TUNNEL, 4, ip("2001:db8::50"), 40002,
                ip("2001:db8::100"), 80, ip("2001:db8:1::21"), 80, 120);
        // Wireshark 4.0's dissector steps over entries 36 (IPv4) or 72 (IPv6) bytes at a time and ignores the
        // entry's size field, so it cannot follow an entry that carries options (the kernel can): the entry with
        // sequence data goes last, where only its fixed part is read.
        SyncMessage v1 = new SyncMessage(1, 7, List.of(udp, v6, tcp));
        Path f = dir.resolve("lvsd-sync.pcap");
        Files.write(f, pcap(List.of(frame(SyncCodec.encode(v1)))));
        assertThat(tshark(f, "ipvs.conncount", "ipvs.syncid", "ipvs.version", "ipvs.size"))
                .isEqualTo("3|7|1|" + SyncCodec.encode(v1).length);
        assertThat(tshark(f, "ipvs.proto")).isEqualTo("0x11,0x06,0x06");
        assertThat(tshark(f, "ipvs.cport", "ipvs.vport", "ipvs.dport"))
                .isEqualTo("5353,40002,40001|53,80,443|53,80,8443");
        assertThat(tshark(f, "ipvs.caddr", "ipvs.vaddr", "ipvs.daddr"))
                .isEqualTo("10.1.0.8,10.1.0.7|10.1.0.100,10.1.0.100|10.1.0.22,10.1.0.21");
        assertThat(tshark(f, "ipvs.caddr6", "ipvs.vaddr6", "ipvs.daddr6"))
                .isEqualTo("2001:db8::50|2001:db8::100|2001:db8:1::21");
        assertThat(tshark(f, "ipvs.flags.v1", "ipvs.state", "ipvs.timeout", "ipvs.fwmark"))
                .isEqualTo("0x00000100,0x00000002,0x00000403|0x0000,0x0004,0x0001|300,120,900|0x00000000,0x00000000,0x0000002a");
        assertThat(tshark(f, "ipvs.size.v1", "ipvs.type")).isEqualTo("36,72,62|0,1,0");
    }
}
