package io.lvsd.controller.config;

import io.lvsd.linux.Require;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code routing { enabled, table, protocol, daemon, control-socket }}: active-active directors behind a router's
 * ECMP. lvsd keeps a local route per VIP (the kernel takes it in) and, per VIP it announces, a route in
 * {@code table}, which the routing daemon learns and announces; it reads the daemon's sessions from
 * {@code control-socket}. See docs/ecmp.md.
 *
 * @param table    the announcement table: no rule looks it up (1-2^31-1 but the kernel's 252-255)
 * @param protocol the route protocol number that marks lvsd's routes (5-255)
 */
public record RoutingConfig(boolean enabled, int table, int protocol, Daemon daemon, Path controlSocket) {
    /** The routing daemon lvsd reads; {@link #NONE}: announced by the operator's own means, not read. */
    public enum Daemon {
        BIRD("bird"), NONE("none");

        private final String key;

        Daemon(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public static final int DEFAULT_TABLE = 4242;
    public static final int DEFAULT_PROTOCOL = 245;
    public static final RoutingConfig OFF = new RoutingConfig(false, DEFAULT_TABLE, DEFAULT_PROTOCOL, Daemon.BIRD,
            Path.of("/run/bird/bird.ctl"));

    public RoutingConfig {
        Require.range("table", table, 1, Integer.MAX_VALUE);
        if (table >= 252 && table <= 255) {
            throw new IllegalArgumentException("table: " + table + " (expected not 252-255: the kernel's own tables)");
        }
        Require.range("protocol", protocol, 5, 255);
        Objects.requireNonNull(daemon, "daemon");
        Objects.requireNonNull(controlSocket, "control-socket");
    }
}
