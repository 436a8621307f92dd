package io.lvsd.controller;

import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.netlink.NlAttrs;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's own record of what a director asked IPVS to do: every generic-netlink request in its network
 * namespace, captured on an {@code nlmon} device (drivers/net/nlmon.c) by tcpdump, and decoded here to one line
 * per table change, e.g. {@code SET_DEST tcp 10.99.0.100:7 -> 10.99.0.21:7 weight 3}. Reads (GET_*, dumps) are
 * left out; so are answers, which the kernel sends, not the director.
 */
final class NetlinkCapture implements AutoCloseable {
    /** LINKTYPE_NETLINK (tcpdump.org/linktypes): a 16-byte pseudo-header whose last 2 bytes are the protocol. */
    static final int LINKTYPE_NETLINK = 253;
    static final int NETLINK_GENERIC = 16;
    static final int GENL_ID_CTRL = 16;
    static final int NLM_F_REQUEST = 1;
    static final int AF_INET = 2;
    private static final Map<Integer, String> WRITES = Map.ofEntries(
            Map.entry(IpvsCodec.CMD_NEW_SERVICE, "NEW_SERVICE"), Map.entry(IpvsCodec.CMD_SET_SERVICE, "SET_SERVICE"),
            Map.entry(IpvsCodec.CMD_DEL_SERVICE, "DEL_SERVICE"), Map.entry(IpvsCodec.CMD_NEW_DEST, "NEW_DEST"),
            Map.entry(IpvsCodec.CMD_SET_DEST, "SET_DEST"), Map.entry(IpvsCodec.CMD_DEL_DEST, "DEL_DEST"),
            Map.entry(IpvsCodec.CMD_NEW_DAEMON, "NEW_DAEMON"), Map.entry(IpvsCodec.CMD_DEL_DAEMON, "DEL_DAEMON"),
            Map.entry(IpvsCodec.CMD_SET_CONFIG, "SET_CONFIG"), Map.entry(IpvsCodec.CMD_ZERO, "ZERO"),
            Map.entry(IpvsCodec.CMD_FLUSH, "FLUSH"));

    private final String ns;
    private final Path file;
    private final Process tcpdump;

    private NetlinkCapture(String ns, Path file, Process tcpdump) {
        this.ns = ns;
        this.file = file;
        this.tcpdump = tcpdump;
    }

    /** Adds {@code nlmon0} to namespace {@code ns} and starts capturing on it into {@code file}. */
    static NetlinkCapture start(String ns, Path file) throws Exception {
        Lab.requireCommand("tcpdump", "tcpdump");
        Sh.ok("ip", "-n", ns, "link", "add", "nlmon0", "type", "nlmon");
        Sh.ok("ip", "-n", ns, "link", "set", "nlmon0", "up");
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "tcpdump", "-i", "nlmon0", "-U", "-s", "0", "-w",
                file.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // The pcap header is written once tcpdump listens.
        org.awaitility.Awaitility.await("tcpdump on nlmon0 in " + ns).atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> !p.isAlive() || (Files.exists(file) && Files.size(file) >= 24));
        if (!p.isAlive()) {
            throw new IllegalStateException("tcpdump on nlmon0 in " + ns + " exited at once");
        }
        return new NetlinkCapture(ns, file, p);
    }

    /** The table changes captured so far, in order. */
    List<String> writes() throws Exception {
        return decode(Files.readAllBytes(file));
    }

    static List<String> decode(byte[] pcap) {
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0xa1b2c3d4) {
            throw new IllegalArgumentException("not a little-endian microsecond pcap file");
        }
        if (b.getInt(20) != LINKTYPE_NETLINK) {
            throw new IllegalArgumentException("link type " + b.getInt(20) + " (expected: " + LINKTYPE_NETLINK + ")");
        }
        List<String> out = new ArrayList<>();
        int p = 24;
        while (p + 16 <= pcap.length) {
            int caplen = b.getInt(p + 8);
            int start = p + 16;
            if (start + caplen > pcap.length) {
                break; // the last record is still being written
            }
            p = start + caplen;
            if (caplen < 16 + 16) {
                continue;
            }
            int proto = ByteBuffer.wrap(pcap, start + 14, 2).order(ByteOrder.BIG_ENDIAN).getShort() & 0xffff;
            if (proto != NETLINK_GENERIC && Integer.reverseBytes(proto << 16) != NETLINK_GENERIC) {
                continue;
            }
            // One record holds every message of one sendmsg (lvsd sends batches): walk them.
            int m = start + 16;
            int end = start + caplen;
            while (m + 20 <= end) {
                int len = b.getInt(m);
                int type = b.getShort(m + 4) & 0xffff;
                int flags = b.getShort(m + 6) & 0xffff;
                if (len < 16 || m + len > end) {
                    break;
                }
                int cmd = pcap[m + 16] & 0xff;
                if (type != GENL_ID_CTRL && (flags & NLM_F_REQUEST) != 0 && WRITES.containsKey(cmd)) {
                    boolean service = cmd == IpvsCodec.CMD_NEW_SERVICE || cmd == IpvsCodec.CMD_SET_SERVICE;
                    out.add(WRITES.get(cmd) + describe(b, m + 20, m + len, service));
                }
                m += (len + 3) & ~3;
            }
        }
        return out;
    }

    /** The service, destination and weight or scheduler an IPVS request names, as one string. */
    private static String describe(ByteBuffer b, int from, int to, boolean withScheduler) {
        NlAttrs msg = NlAttrs.parse(b.duplicate().position(from).limit(to));
        StringBuilder s = new StringBuilder();
        NlAttrs svc = msg.nested(IpvsCodec.CMD_ATTR_SERVICE);
        int addrLen = 4;
        if (svc != null) {
            addrLen = svc.u16(IpvsCodec.SVC_ATTR_AF, AF_INET) == AF_INET ? 4 : 16;
            long fwmark = svc.u32(IpvsCodec.SVC_ATTR_FWMARK, 0);
            int proto = svc.u16(IpvsCodec.SVC_ATTR_PROTOCOL, 0);
            s.append(' ').append(fwmark != 0 ? "fwmark " + fwmark : (proto == 17 ? "udp " : proto == 132 ? "sctp " : "tcp ")
                    + text(svc.address(IpvsCodec.SVC_ATTR_ADDR, addrLen)) + ":" + svc.be16(IpvsCodec.SVC_ATTR_PORT, 0));
            String sched = svc.string(IpvsCodec.SVC_ATTR_SCHED_NAME);
            if (withScheduler && sched != null) {
                s.append(' ').append(sched);
            }
        }
        NlAttrs dest = msg.nested(IpvsCodec.CMD_ATTR_DEST);
        if (dest != null) {
            s.append(" -> ").append(text(dest.address(IpvsCodec.DEST_ATTR_ADDR, addrLen))).append(':')
                    .append(dest.be16(IpvsCodec.DEST_ATTR_PORT, 0));
            if (dest.has(IpvsCodec.DEST_ATTR_WEIGHT)) {
                s.append(" weight ").append(dest.u32(IpvsCodec.DEST_ATTR_WEIGHT, 0));
            }
        }
        return s.toString();
    }

    private static String text(InetAddress a) {
        return a == null ? "" : a.getHostAddress();
    }

    @Override
    public void close() throws Exception {
        tcpdump.destroy();
        tcpdump.waitFor(10, TimeUnit.SECONDS);
        Sh.run(null, "ip", "-n", ns, "link", "del", "nlmon0");
    }
}
