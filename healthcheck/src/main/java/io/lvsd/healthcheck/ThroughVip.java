package io.lvsd.healthcheck;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A probe sent to the VIP and forwarded to one real server the way IPVS forwards to it ({@code check.through-vip}):
 * for DR in a frame to the real server's MAC, for TUN inside the real server's tunnel. A real server that would drop
 * forwarded traffic (no VIP on {@code lo} or its tunnel, rp_filter, a missing fou port) fails such a probe, though
 * a probe of its own address passes.
 *
 * @param vip          the service's address: where the probe connects
 * @param realServer   the real server it reaches
 * @param encapsulation how IPVS forwards to it
 * @param tunnelPort   the GUE port; 0 otherwise
 */
public record ThroughVip(InetAddress vip, InetAddress realServer, Encapsulation encapsulation, int tunnelPort) {
    /** How IPVS hands a packet to the real server. */
    public enum Encapsulation {
        /** Direct routing: the packet as it is, to the real server's MAC. */
        DR,
        /** IP in IP (IPv6 in IPv6 for IPv6). */
        IPIP,
        /** Generic UDP encapsulation to {@link #tunnelPort}. */
        GUE,
        /** GRE. */
        GRE
    }

    public ThroughVip {
        Objects.requireNonNull(vip, "vip");
        Objects.requireNonNull(realServer, "realServer");
        Objects.requireNonNull(encapsulation, "encapsulation");
        if ((vip instanceof Inet6Address) != (realServer instanceof Inet6Address)) {
            throw new IllegalArgumentException("through-vip: the VIP and the real server are of different address"
                    + " families (expected one family)");
        }
        if (encapsulation == Encapsulation.GUE ? tunnelPort < 1 || tunnelPort > 65535 : tunnelPort != 0) {
            throw new IllegalArgumentException("tunnel port: " + tunnelPort + " (expected 1-65535 for gue, else 0)");
        }
    }

    public boolean ipv6() {
        return vip instanceof Inet6Address;
    }
}
