package io.lvsd.controller;

import io.lvsd.ipvs.internal.IpvsCodec;
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
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(file) && Files.size(file) >= 24) && System.nanoTime() < end && p.isAlive()) {
            Thread.sleep(100); // the pcap header is written once tcpdump listens
        }
        if (!p.isAlive() || !Files.exists(file)) {
            throw new IllegalStateException("tcpdump on nlmon0 in " + ns + " did not start");
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
        StringBuilder s = new StringBuilder();
        for (int a = from; a + 4 <= to; ) {
            int len = b.getShort(a) & 0xffff;
            int type = b.getShort(a + 2) & 0x3fff;
            if (len < 4 || a + len > to) {
                break;
            }
            if (type == IpvsCodec.CMD_ATTR_SERVICE) {
                s.append(' ').append(service(b, a + 4, a + len, withScheduler));
            } else if (type == IpvsCodec.CMD_ATTR_DEST) {
                s.append(" -> ").append(dest(b, a + 4, a + len));
            }
            a += (len + 3) & ~3;
        }
        return s.toString();
    }

    private static String service(ByteBuffer b, int from, int to, boolean withScheduler) {
        int proto = 0;
        int port = 0;
        long fwmark = 0;
        String addr = "";
        String sched = null;
        for (int a = from; a + 4 <= to; ) {
            int len = b.getShort(a) & 0xffff;
            int type = b.getShort(a + 2) & 0x3fff;
            if (len < 4) {
                break;
            }
            switch (type) {
                case IpvsCodec.SVC_ATTR_PROTOCOL -> proto = b.getShort(a + 4) & 0xffff;
                case IpvsCodec.SVC_ATTR_ADDR -> addr = address(b, a + 4, len - 4);
                case IpvsCodec.SVC_ATTR_PORT -> port = Short.reverseBytes(b.getShort(a + 4)) & 0xffff;
                case IpvsCodec.SVC_ATTR_FWMARK -> fwmark = b.getInt(a + 4) & 0xffffffffL;
                case IpvsCodec.SVC_ATTR_SCHED_NAME -> sched = cString(b, a + 4, len - 4);
                default -> { }
            }
            a += (len + 3) & ~3;
        }
        String name = fwmark != 0 ? "fwmark " + fwmark : (proto == 17 ? "udp " : proto == 132 ? "sctp " : "tcp ")
                + addr + ":" + port;
        return sched == null || !withScheduler ? name : name + " " + sched;
    }

    private static String dest(ByteBuffer b, int from, int to) {
        String addr = "";
        int port = 0;
        long weight = -1;
        for (int a = from; a + 4 <= to; ) {
            int len = b.getShort(a) & 0xffff;
            int type = b.getShort(a + 2) & 0x3fff;
            if (len < 4) {
                break;
            }
            switch (type) {
                case IpvsCodec.DEST_ATTR_ADDR -> addr = address(b, a + 4, len - 4);
                case IpvsCodec.DEST_ATTR_PORT -> port = Short.reverseBytes(b.getShort(a + 4)) & 0xffff;
                case IpvsCodec.DEST_ATTR_WEIGHT -> weight = b.getInt(a + 4) & 0xffffffffL;
                default -> { }
            }
            a += (len + 3) & ~3;
        }
        return addr + ":" + port + (weight >= 0 ? " weight " + weight : "");
    }

    /** An IPv4 address is the first 4 of the attribute's bytes (union nf_inet_addr), an IPv6 all 16. */
    private static String address(ByteBuffer b, int at, int len) {
        byte[] a = new byte[len >= 16 && !v4(b, at) ? 16 : 4];
        b.get(at, a);
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            return "?";
        }
    }

    private static boolean v4(ByteBuffer b, int at) {
        return b.getInt(at + 4) == 0 && b.getInt(at + 8) == 0 && b.getInt(at + 12) == 0;
    }

    private static String cString(ByteBuffer b, int at, int len) {
        byte[] s = new byte[len];
        b.get(at, s);
        int n = 0;
        while (n < s.length && s[n] != 0) {
            n++;
        }
        return new String(s, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws Exception {
        tcpdump.destroy();
        tcpdump.waitFor(10, TimeUnit.SECONDS);
        Sh.run(null, "ip", "-n", ns, "link", "del", "nlmon0");
    }
}
