package io.lvsd.arp.internal;

import io.lvsd.linux.net.InternetChecksum;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;

/**
 * The Ethernet frames a new master sends, as pure functions: a gratuitous ARP (RFC 5227 §3 calls
 * it an ARP announcement: a request whose sender and target protocol address are both the VIP,
 * to the broadcast address, RFC 5798 §6.4.1 / RFC 3768 §6.4.1) and an unsolicited neighbour
 * advertisement (RFC 4861 §7.2.6: to all-nodes ff02::1, hop limit 255, Override set, Solicited
 * and Router clear, with the Target Link-Layer Address option).
 */
public final class Frames {
    private Frames() {
    }

    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    /** ff02::1, and its Ethernet multicast address 33:33:00:00:00:01 (RFC 2464 §7). */
    static final byte[] ALL_NODES = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final byte[] ALL_NODES_MAC = {0x33, 0x33, 0, 0, 0, 1};
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86dd;
    static final int ICMPV6 = 58;
    static final int NEIGHBOR_ADVERTISEMENT = 136;
    static final int OVERRIDE = 0x20;
    static final int TARGET_LINK_LAYER_ADDRESS = 2;

    /** A gratuitous ARP request for {@code vip} from {@code mac}: 42 bytes. */
    public static byte[] gratuitousArp(byte[] mac, Inet4Address vip) {
        checkMac(mac);
        ByteBuffer b = ByteBuffer.allocate(42);
        b.put(BROADCAST).put(mac).putShort((short) ETH_P_ARP);
        b.putShort((short) 1)          // hardware type: Ethernet
                .putShort((short) 0x0800) // protocol type: IPv4
                .put((byte) 6).put((byte) 4)
                .putShort((short) 1)      // operation: request
                .put(mac).put(vip.getAddress())
                .put(BROADCAST)           // target hardware address, as keepalived and arping -U send it
                .put(vip.getAddress());
        return b.array();
    }

    /** An unsolicited neighbour advertisement for {@code vip} from {@code mac}: 86 bytes. */
    public static byte[] unsolicitedNeighbourAdvert(byte[] mac, Inet6Address vip) {
        checkMac(mac);
        byte[] src = vip.getAddress();
        ByteBuffer icmp = ByteBuffer.allocate(32);
        icmp.put((byte) NEIGHBOR_ADVERTISEMENT).put((byte) 0).putShort((short) 0)
                .put((byte) OVERRIDE).put((byte) 0).putShort((short) 0)
                .put(src)
                .put((byte) TARGET_LINK_LAYER_ADDRESS).put((byte) 1).put(mac);
        byte[] m = icmp.array();
        int sum = checksum(src, ALL_NODES, m);
        m[2] = (byte) (sum >>> 8);
        m[3] = (byte) sum;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + m.length);
        b.put(ALL_NODES_MAC).put(mac).putShort((short) ETH_P_IPV6);
        b.putInt(0x6000_0000)           // version 6, traffic class 0, flow label 0
                .putShort((short) m.length).put((byte) ICMPV6).put((byte) 255)
                .put(src).put(ALL_NODES).put(m);
        return b.array();
    }

    /** ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and the message. */
    static int checksum(byte[] src, byte[] dst, byte[] msg) {
        return InternetChecksum.complement(InternetChecksum.sum(src) + InternetChecksum.sum(dst) + msg.length + ICMPV6
                + InternetChecksum.sum(msg));
    }

    private static void checkMac(byte[] mac) {
        if (mac == null || mac.length != 6) {
            throw new IllegalArgumentException("mac: " + (mac == null ? "null" : mac.length + " bytes")
                    + " (expected a 6-byte Ethernet address)");
        }
    }
}
