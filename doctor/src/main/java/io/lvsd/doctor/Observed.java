package io.lvsd.doctor;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

/** What the doctor saw on the wire while it listened. */
public final class Observed {
    private Observed() {
    }

    /**
     * A VRRP advert heard on a router's interface.
     *
     * @param source    its IP source address
     * @param vrid      its virtual router id
     * @param version   2 or 3
     * @param priority  its priority
     * @param addresses the addresses it carries
     */
    public record Advert(InetAddress source, int vrid, int version, int priority, List<InetAddress> addresses) {
        public Advert {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The answers to an ARP request (IPv4) or a neighbour solicitation (IPv6) for a virtual address.
     *
     * @param vip     the address asked for
     * @param ifname  the interface asked on
     * @param macs    the link-layer addresses that answered, as {@code aa:bb:cc:dd:ee:ff}
     * @param ownMac  this host's address on the interface
     * @param heldHere whether this host has the address on the interface (its own answer is not on the wire)
     * @param error   why no probe could be sent, or {@code null}
     */
    public record Answers(InetAddress vip, String ifname, Set<String> macs, String ownMac, boolean heldHere,
                          String error) {
        public Answers {
            macs = Set.copyOf(macs);
        }
    }

    /**
     * What a listener on the sync group heard.
     *
     * @param seconds  how long it listened
     * @param senders  each source and sync id whose messages decoded, with how many
     * @param undecodable datagrams that did not decode
     * @param error    why the group could not be joined, or {@code null}
     */
    public record SyncHeard(long seconds, List<Sender> senders, long undecodable, String error) {
        public SyncHeard {
            senders = List.copyOf(senders);
        }
    }

    /** One sync sender: its address, the sync id its messages carry, and how many were heard. */
    public record Sender(InetAddress source, int syncId, long messages) {
    }

    /**
     * A probe through the VIP to one real server (DR or TUN).
     *
     * @param service    the service's name
     * @param vip        the service's virtual address
     * @param real       the real server's address
     * @param port       the port probed
     * @param forwarding {@code dr} or {@code tun}
     * @param how        how it was reached ({@code to its MAC 02:..:21 on eth0}, {@code inside GUE (port 5555) to
     *                   10.0.0.5 via eth0}), for the evidence
     * @param syn        the SYN's (UDP: the datagram's) outcome, or {@code null} when it could not be sent ({@code error} says why)
     * @param small      TUN: a small encapsulated echo's outcome, else {@code null}
     * @param large      TUN: a full-size encapsulated echo's outcome (DF), else {@code null}
     * @param largeSize  the full-size probe's outer size in bytes
     * @param error      why no probe was sent, or {@code null}
     * @param direct     UDP: the same datagram sent to the real server's own address (the ordinary check), else
     *                   {@code null}
     * @param tunnel     TUN: how the probe was encapsulated ({@code null}: IPIP); DR: {@code null}
     */
    public record Probe(String service, InetAddress vip, InetAddress real, int port, String forwarding, String how, VipProbe.Result syn,
                        VipProbe.Result small, VipProbe.Result large, int largeSize, String error, VipProbe.Result direct,
                        Encapsulation tunnel) {
        /** A TCP probe. */
        public Probe(String service, InetAddress vip, InetAddress real, int port, String forwarding, String how,
                     VipProbe.Result syn, VipProbe.Result small, VipProbe.Result large, int largeSize, String error) {
            this(service, vip, real, port, forwarding, how, syn, small, large, largeSize, error, null, null);
        }

        /** A probe, TUN ones through IPIP. */
        public Probe(String service, InetAddress vip, InetAddress real, int port, String forwarding, String how,
                     VipProbe.Result syn, VipProbe.Result small, VipProbe.Result large, int largeSize, String error,
                     VipProbe.Result direct) {
            this(service, vip, real, port, forwarding, how, syn, small, large, largeSize, error, direct, null);
        }

        /** TUN: the encapsulation the probe used (IPIP unless the real server's tunnel type is another). */
        public Encapsulation encapsulation() {
            return tunnel == null ? Encapsulation.IPIP : tunnel;
        }
    }
}
