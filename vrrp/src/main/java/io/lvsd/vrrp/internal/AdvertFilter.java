package io.lvsd.vrrp.internal;

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
