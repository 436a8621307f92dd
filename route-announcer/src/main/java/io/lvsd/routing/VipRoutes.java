package io.lvsd.routing;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Set;

/**
 * The kernel routes lvsd owns for its VIPs: the one port through which this module writes to the kernel. A test
 * gives {@link InMemoryVipRoutes}; a director {@link KernelVipRoutes}. Not thread-safe: one thread drives it.
 */
public interface VipRoutes extends AutoCloseable {
    /** The two kinds of route lvsd keeps per VIP. */
    enum Kind {
        /** A local route: the kernel takes the VIP's packets in (IPVS hooks LOCAL_IN), announced or not. */
        ACCEPT("accept"),
        /** A route in the announcement table: the routing daemon announces the VIP while it is there. */
        ANNOUNCE("announce");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    /** The VIPs that have a route of {@code kind} made by lvsd (its route protocol number), both families. */
    Set<InetAddress> list(Kind kind) throws IOException;

    /** Adds the route of {@code kind} for {@code vip}; one that exists already is not an error. */
    void add(Kind kind, InetAddress vip) throws IOException;

    /** Deletes lvsd's route of {@code kind} for {@code vip}; one that is gone already is not an error. */
    void delete(Kind kind, InetAddress vip) throws IOException;

    @Override
    void close();
}
