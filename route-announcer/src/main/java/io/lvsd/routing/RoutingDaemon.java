package io.lvsd.routing;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * The routing daemon that announces lvsd's VIP routes, as far as lvsd reads it: the state of its sessions. lvsd
 * never configures it; the daemon learns the announcement table by its own means.
 */
public interface RoutingDaemon {
    /** The daemon's name for logs and metrics, e.g. {@code bird}. */
    String name();

    /** The daemon's sessions to its peers (BGP), as it reports them now. */
    List<Session> sessions() throws IOException;

    /**
     * One session.
     *
     * @param name  the daemon's name for it (BIRD: the protocol's name)
     * @param kind  {@code BGP}, {@code BFD}...
     * @param state the daemon's own word for the state ({@code Established}, {@code Active}, {@code Connect}...)
     * @param up    whether routes are exchanged over it
     * @param since when it entered that state, as the daemon prints it
     */
    record Session(String name, String kind, String state, boolean up, String since) {
        public Session {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(since, "since");
        }
    }

    /** No daemon to read: the operator's tooling announces the table; lvsd reports no sessions. */
    RoutingDaemon NONE = new RoutingDaemon() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public List<Session> sessions() {
            return List.of();
        }
    };
}
