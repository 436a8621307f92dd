package io.lvsd.controller.routing;

import java.util.List;

/**
 * The routing part of {@code /status}: per VIP whether it is announced and why, since when; the routing daemon's
 * sessions as it reports them.
 *
 * @param error         the last failure to write the routes, or null
 * @param sessionsError why the daemon's sessions could not be read, or null
 */
public record RoutingStatus(boolean enabled, boolean draining, String daemon, int table, String error,
                            List<Vip> vips, List<Session> sessions, String sessionsError) {
    public RoutingStatus {
        vips = List.copyOf(vips);
        sessions = List.copyOf(sessions);
    }

    /**
     * @param since when the announcement last changed (ISO-8601), or when lvsd first decided it
     */
    public record Vip(String vip, boolean announced, String reason, String since) {
    }

    public record Session(String name, String kind, String state, boolean up, String since) {
    }

    static final RoutingStatus OFF = new RoutingStatus(false, false, "none", 0, null, List.of(), List.of(), null);
}
