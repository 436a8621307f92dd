package io.lvsd.doctor;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.InternetChecksum;
import io.lvsd.linux.net.PacketSocket;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Asks the link who has an address, and counts the answers: an ARP probe for IPv4 (RFC 5227: sender address
 * 0.0.0.0, so no neighbour cache learns anything from it) and a neighbour solicitation from the unspecified address
 * for IPv6 (as duplicate address detection sends it, RFC 4862 §5.4.2; the answers go to all nodes). Each is sent
 * three times, 300 ms apart, and answers are taken until the wait is over.
 */
public final class NeighbourProbe {
    private NeighbourProbe() {
    }

    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86dd;
    static final int ICMPV6 = 58;
    static final int NEIGHBOUR_SOLICITATION = 135;
    static final int NEIGHBOUR_ADVERTISEMENT = 136;

    /** Probes for {@code vip} on {@code ifname}; {@code heldHere} says whether this host has it there. */
    public static Observed.Answers probe(String ifname, InetAddress vip, boolean heldHere, Duration wait) {
        return probe(ifname, vip, null, heldHere, wait);
    }

    /**
     * Who answers for {@code address} on {@code ifname}, asked from {@code from}: for IPv6 an ordinary neighbour
     * solicitation from that address, which, unlike one from {@code ::}, cannot be taken for a duplicate address
     * detection and make a host that has just configured {@code address} give it up (RFC 4862 §5.4.3). Null
     * {@code from}, and IPv4 always: the probe from the unspecified address.
     */
    public static Observed.Answers probe(String ifname, InetAddress address, InetAddress from, boolean heldHere,
                                         Duration wait) {
        InetAddress vip = address;
        Link link = Link.read(ifname);
        if (link == null) {
            return new Observed.Answers(vip, ifname, Set.of(), "", heldHere, ifname + ": cannot read its index and address");
        }
        int ifindex = link.index();
        byte[] mac = link.mac();
        boolean v4 = vip instanceof Inet4Address;
        byte[] request = v4 ? arpProbe(mac, (Inet4Address) vip)
                : neighbourSolicitation(mac, (Inet6Address) vip, from instanceof Inet6Address f6 ? f6 : null);
        Set<String> macs = new HashSet<>();
        long end = System.nanoTime() + wait.toNanos();
        try (PacketSocket s = PacketSocket.listen(v4 ? ETH_P_ARP : ETH_P_IPV6, ifindex, ifname, 50)) {
            byte[] buf = new byte[2048];
            long nextSend = System.nanoTime();
            int sent = 0;
            while (System.nanoTime() < end) {
                if (sent < 3 && System.nanoTime() >= nextSend) {
                    s.send(request, ifindex, ifname);
                    sent++;
                    nextSend = System.nanoTime() + Duration.ofMillis(300).toNanos();
                }
                int n = s.receive(buf);
                if (n > 0) {
                    String who = v4 ? arpAnswer(buf, n, (Inet4Address) vip) : neighbourAnswer(buf, n, (Inet6Address) vip);
                    if (who != null) {
                        macs.add(who);
                    }
                }
            }
        } catch (NativeException e) {
            return new Observed.Answers(vip, ifname, Set.of(), format(mac), heldHere, e.getMessage());
        }
        return new Observed.Answers(vip, ifname, macs, format(mac), heldHere, null);
    }

    /** An ARP request for {@code vip} from {@code mac} with sender address 0.0.0.0, broadcast: 42 bytes. */
    static byte[] arpProbe(byte[] mac, Inet4Address vip) {
        ByteBuffer b = ByteBuffer.allocate(42);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(mac).putShort((short) ETH_P_ARP);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                .put(mac).put(new byte[4]).put(new byte[6]).put(vip.getAddress());
        return b.array();
    }

    /** The sender's hardware address of an ARP reply that says it has {@code vip}, or {@code null}. */
    static String arpAnswer(byte[] f, int n, Inet4Address vip) {
        if (n < 42 || u16(f, 12) != ETH_P_ARP || u16(f, 14) != 1 || u16(f, 16) != 0x0800 || f[18] != 6 || f[19] != 4
                || u16(f, 20) != 2) {
            return null;
        }
        return Arrays.equals(f, 28, 32, vip.getAddress(), 0, 4) ? format(Arrays.copyOfRange(f, 22, 28)) : null;
    }

    /** A neighbour solicitation for {@code vip} from {@code ::} to its solicited-node group: 78 bytes. */
    static byte[] neighbourSolicitation(byte[] mac, Inet6Address vip) {
        return neighbourSolicitation(mac, vip, null);
    }

    /**
     * A neighbour solicitation for {@code target} to its solicited-node group (RFC 4861 §4.3), from {@code source}
     * with a source link-layer address option (86 bytes), or from {@code ::} without one (78 bytes) when null.
     */
    static byte[] neighbourSolicitation(byte[] mac, Inet6Address target, Inet6Address source) {
        byte[] t = target.getAddress();
        byte[] group = new byte[16];
        group[0] = (byte) 0xff;
        group[1] = 0x02;
        group[11] = 1;
        group[12] = (byte) 0xff;
        System.arraycopy(t, 13, group, 13, 3);
        byte[] src = source == null ? new byte[16] : source.getAddress();
        ByteBuffer icmp = ByteBuffer.allocate(source == null ? 24 : 32);
        icmp.put((byte) NEIGHBOUR_SOLICITATION).put((byte) 0).putShort((short) 0).putInt(0).put(t);
        if (source != null) {
            icmp.put((byte) 1).put((byte) 1).put(mac); // source link-layer address, 8 bytes
        }
        byte[] m = icmp.array();
        int sum = InternetChecksum.complement(InternetChecksum.sum(src) + InternetChecksum.sum(group) + m.length
                + ICMPV6 + InternetChecksum.sum(m));
        m[2] = (byte) (sum >>> 8);
        m[3] = (byte) sum;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + m.length);
        b.put(new byte[] {0x33, 0x33, (byte) 0xff, t[13], t[14], t[15]}).put(mac).putShort((short) ETH_P_IPV6);
        b.putInt(0x6000_0000).putShort((short) m.length).put((byte) ICMPV6).put((byte) 255).put(src).put(group).put(m);
        return b.array();
    }

    /**
     * The answering host of a neighbour advertisement for {@code vip}: its target link-layer address option when
     * it has one, else the frame's source address; {@code null} for anything else.
     */
    static String neighbourAnswer(byte[] f, int n, Inet6Address vip) {
        if (n < 14 + 40 + 24 || u16(f, 12) != ETH_P_IPV6 || (f[14] & 0xf0) != 0x60 || (f[20] & 0xff) != ICMPV6
                || (f[54] & 0xff) != NEIGHBOUR_ADVERTISEMENT || !Arrays.equals(f, 62, 78, vip.getAddress(), 0, 16)) {
            return null;
        }
        int end = Math.min(n, 54 + u16(f, 18));
        for (int o = 78; o + 8 <= end; ) {
            int type = f[o] & 0xff;
            int len = (f[o + 1] & 0xff) * 8;
            if (len == 0) {
                break;
            }
            if (type == 2 && len >= 8) {
                return format(Arrays.copyOfRange(f, o + 2, o + 8));
            }
            o += len;
        }
        return format(Arrays.copyOfRange(f, 6, 12));
    }

    private static int u16(byte[] b, int o) {
        return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
    }

    /** An interface's index and MAC, as its network namespace's /sys/class/net shows them. */
    record Link(int index, byte[] mac) {
        /** {@code ifname}'s, or {@code null} when it cannot be read (no such interface). */
        static Link read(String ifname) {
            try {
                Path dir = Path.of("/sys/class/net", ifname);
                return new Link(Integer.parseInt(Files.readString(dir.resolve("ifindex")).strip()),
                        parseMac(Files.readString(dir.resolve("address")).strip()));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    static byte[] parseMac(String text) {
        String[] p = text.split(":");
        if (p.length != 6) {
            throw new IllegalArgumentException("mac: " + text);
        }
        byte[] m = new byte[6];
        for (int i = 0; i < 6; i++) {
            m[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return m;
    }

    static String format(byte[] mac) {
        StringBuilder b = new StringBuilder();
        for (byte x : mac) {
            if (b.length() > 0) {
                b.append(':');
            }
            b.append(String.format("%02x", x & 0xff));
        }
        return b.toString();
    }
}
