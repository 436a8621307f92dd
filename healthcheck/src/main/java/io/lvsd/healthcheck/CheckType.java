package io.lvsd.healthcheck;

import java.util.Locale;

/** The kinds of health check. */
public enum CheckType {
    TCP, HTTP, HTTPS, UDP, DNS, SCRIPT, AGENT,
    /** No probing: the real server is always considered up. */
    NONE;

    /** The configuration spelling, e.g. {@code https}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the probe is a connection to the service itself, which can be sent through the VIP. */
    public boolean network() {
        return this == TCP || this == HTTP || this == HTTPS || this == UDP || this == DNS;
    }
}
