package io.lvsd.vrrp.internal;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.vrrp.VrrpInstanceConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;

/**
 * Receive-side checks of a decoded advert against an instance's configuration, pure: the packet and the
 * configured values in, a {@link Rejection} naming the RFC 6527 drop reason out (null: accepted).
 */
final class AdvertFilter {
    private AdvertFilter() {
    }

    /** Why an advert is dropped, with the field and what was expected. */
    record Rejection(DropReason reason, String detail) {
    }

    /**
     * A v2 interval and password that a reload replaced, accepted until {@code untilNanos} ({@code System.nanoTime()}
     * clock) while a pair rolls the change out; {@code noted} once that was logged.
     */
    record Previous(Duration advertInterval, String authPassword, long untilNanos, boolean noted) {
        Previous(Duration advertInterval, String authPassword, long untilNanos) {
            this(advertInterval, authPassword, untilNanos, false);
        }

        Previous note() {
            return new Previous(advertInterval, authPassword, untilNanos, true);
        }
    }

    /**
     * Unicast mode's own checks, which the RFCs do not define (their TTL-255 rule is for multicast): the source must
     * be one of the configured peers, and, when {@code unicast-min-ttl} is set, the TTL / hop limit at least that.
     * Null in multicast mode. A source address can be forged by anyone who can reach the director; these checks stop
     * a stranger elsewhere on the network, not a forger on the peers' own segment (docs/security.md).
     */
    static Rejection unicast(VrrpInstanceConfig c, InetAddress source, int ttl) {
        if (c.unicastPeers().isEmpty()) {
            return null;
        }
        if (c.unicastPeersCheck() && !isPeer(c, source)) {
            return new Rejection(DropReason.UNICAST_SOURCE_ERROR, "source " + IpAddresses.text(source)
                    + " (expected one of unicast-peers)");
        }
        if (ttl < c.unicastMinTtl()) {
            return new Rejection(DropReason.IP_TTL_ERROR, "TTL/hop limit " + ttl + " (expected at least "
                    + c.unicastMinTtl() + ", unicast-min-ttl)");
        }
        return null;
    }

    /** By address bytes: an IPv6 link-local source carries its interface's scope, a configured peer none. */
    private static boolean isPeer(VrrpInstanceConfig c, InetAddress source) {
        byte[] a = source.getAddress();
        for (InetAddress p : c.unicastPeers()) {
            if (Arrays.equals(p.getAddress(), a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 3768 §7.1: a v2 router discards an advert whose authentication type, password or interval differ from its
     * own configuration ({@code password} null: no authentication).
     */
    static Rejection v2(VrrpPacket p, Duration interval, String password) {
        int authType = password == null ? 0 : VrrpCodec.AUTH_SIMPLE;
        if (p.authType() != authType) {
            return new Rejection(DropReason.INVALID_AUTH_TYPE, "auth type " + p.authType() + " (expected " + authType
                    + ")");
        }
        if (authType == VrrpCodec.AUTH_SIMPLE && !Arrays.equals(p.authData(), VrrpCodec.password(password))) {
            return new Rejection(DropReason.AUTH_FAILURE, "password mismatch");
        }
        long ours = interval.toSeconds();
        if (p.interval() != ours) {
            return new Rejection(DropReason.ADVERTISE_INTERVAL_ERROR, "advert interval " + p.interval()
                    + "s (expected " + ours + "s)");
        }
        return null;
    }
}
