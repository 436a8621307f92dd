package io.lvsd.routing;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which VIPs a director announces, and why: a pure function. A VIP is announced only while lvsd has applied its
 * table, every virtual server on the VIP has its quorum, and the director is neither draining nor stopping. The
 * first reason that holds is the one given, in that order of precedence: stopping, table, draining, quorum.
 */
public final class Announcements {
    private Announcements() {
    }

    /**
     * What holds for the whole director.
     *
     * @param tableApplied lvsd has applied its IPVS table (false before the first apply, or while the kernel's IPVS
     *                     cannot be reached)
     * @param draining     {@code POST /director/drain}: withdraw everything, go on forwarding what arrives
     * @param stopping     a graceful stop has begun
     */
    public record Gate(boolean tableApplied, boolean draining, boolean stopping) {
        public static final Gate RUNNING = new Gate(true, false, false);
    }

    /**
     * One VIP and the virtual servers on it that have lost their quorum now.
     *
     * @param services      how many virtual servers the configuration has on the VIP
     * @param withoutQuorum the names of those without quorum
     */
    public record VipHealth(InetAddress vip, int services, List<String> withoutQuorum) {
        public VipHealth {
            Objects.requireNonNull(vip, "vip");
            withoutQuorum = List.copyOf(withoutQuorum);
        }
    }

    /** Whether to announce {@code vip}, with the reason an operator reads in /status and the log. */
    public record Decision(InetAddress vip, boolean announce, String reason) {
        public Decision {
            Objects.requireNonNull(vip, "vip");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** One decision per VIP, in the order given. */
    public static List<Decision> decide(Gate gate, List<VipHealth> vips) {
        List<Decision> out = new ArrayList<>(vips.size());
        for (VipHealth v : vips) {
            out.add(decide(gate, v));
        }
        return out;
    }

    static Decision decide(Gate gate, VipHealth v) {
        if (gate.stopping()) {
            return new Decision(v.vip(), false, "lvsd is stopping");
        }
        if (!gate.tableApplied()) {
            return new Decision(v.vip(), false, "the IPVS table is not applied");
        }
        if (gate.draining()) {
            return new Decision(v.vip(), false, "the director is draining (POST /director/drain)");
        }
        if (!v.withoutQuorum().isEmpty()) {
            return new Decision(v.vip(), false, "quorum lost by " + String.join(", ", v.withoutQuorum()));
        }
        return new Decision(v.vip(), true, v.services() == 1 ? "its virtual server has quorum"
                : "its " + v.services() + " virtual servers have quorum");
    }
}
