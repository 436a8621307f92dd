package io.lvsd.routing;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The fewest route operations from what the kernel has to what is wanted, in a safe order: a VIP is accepted before
 * it is announced and withdrawn before it stops being accepted, so that no router ever sends this director a packet
 * its kernel would not take in. Pure.
 */
public final class RoutePlan {
    private RoutePlan() {
    }

    /** One route to add or delete. */
    public record Op(boolean add, VipRoutes.Kind kind, InetAddress vip) {
        public Op {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(vip, "vip");
        }

        @Override
        public String toString() {
            return (add ? "add " : "delete ") + kind.key() + " " + vip.getHostAddress();
        }
    }

    /**
     * The operations, in order: withdrawals, new accept routes, stale accept routes, then announcements.
     *
     * @param accept         the VIPs the kernel must take in (every configured VIP)
     * @param announce       the VIPs to announce (a subset of {@code accept}; others are ignored)
     * @param actualAccept   lvsd's accept routes in the kernel now
     * @param actualAnnounce lvsd's announcement routes in the kernel now
     */
    public static List<Op> plan(Collection<InetAddress> accept, Collection<InetAddress> announce,
                                Set<InetAddress> actualAccept, Set<InetAddress> actualAnnounce) {
        List<Op> ops = new ArrayList<>();
        for (InetAddress a : actualAnnounce) {
            if (!announce.contains(a) || !accept.contains(a)) {
                ops.add(new Op(false, VipRoutes.Kind.ANNOUNCE, a));
            }
        }
        for (InetAddress a : accept) {
            if (!actualAccept.contains(a)) {
                ops.add(new Op(true, VipRoutes.Kind.ACCEPT, a));
            }
        }
        for (InetAddress a : actualAccept) {
            if (!accept.contains(a)) {
                ops.add(new Op(false, VipRoutes.Kind.ACCEPT, a));
            }
        }
        for (InetAddress a : announce) {
            if (accept.contains(a) && !actualAnnounce.contains(a)) {
                ops.add(new Op(true, VipRoutes.Kind.ANNOUNCE, a));
            }
        }
        return ops;
    }

    /**
     * Applies {@code ops} in order and stops at the first failure, so that an announcement never runs ahead of the
     * accept route it depends on. Returns the operations applied.
     */
    public static List<Op> apply(VipRoutes routes, List<Op> ops) throws java.io.IOException {
        List<Op> done = new ArrayList<>();
        for (Op op : ops) {
            try {
                if (op.add()) {
                    routes.add(op.kind(), op.vip());
                } else {
                    routes.delete(op.kind(), op.vip());
                }
            } catch (java.io.IOException e) {
                throw new java.io.IOException(op + ": " + e.getMessage(), e);
            }
            done.add(op);
        }
        return done;
    }
}
