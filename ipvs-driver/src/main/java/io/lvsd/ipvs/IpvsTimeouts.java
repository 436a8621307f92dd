package io.lvsd.ipvs;

import java.time.Duration;

/**
 * IPVS connection timeouts (IPVS_CMD_SET_TIMEOUT); a null field leaves the kernel's value.
 * The kernel counts whole seconds.
 */
public record IpvsTimeouts(Duration tcp, Duration tcpFin, Duration udp) {
    public IpvsTimeouts {
        check("tcp", tcp);
        check("tcp-fin", tcpFin);
        check("udp", udp);
    }

    public static IpvsTimeouts unchanged() {
        return new IpvsTimeouts(null, null, null);
    }

    private static void check(String key, Duration d) {
        if (d != null && (d.toSeconds() < 1 || d.toNanos() % 1_000_000_000L != 0)) {
            throw new IllegalArgumentException(key + ": " + d + " (expected whole seconds >= 1s)");
        }
    }
}
