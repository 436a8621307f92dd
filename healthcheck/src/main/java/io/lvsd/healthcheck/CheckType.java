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
}
