package io.lvsd.ipvs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Computes the fewest operations that turn the kernel's table into the desired one, touching
 * only services lvsd owns. A changed scheduler, flag, persistence setting or engine is one
 * SET_SERVICE and a changed weight, threshold, method or tunnel one SET_DEST: nothing is deleted
 * and re-added, so established connections keep their entries.
 *
 * <p>Maglev ({@code mh}) services get one more rule, so that every director that has the same configuration builds
 * the same lookup table whatever its history (net/netfilter/ipvs/ip_vs_mh.c): the table is a function of the order
 * of the service's destination list and of each destination's {@code last_weight}. The kernel puts a new destination
 * at the head of that list (ip_vs_ctl.c, {@code list_add_rcu}) and an edit never moves one; an edit to weight 0 keeps
 * {@code last_weight}, an add at weight 0 gives the destination no slot at all. So the list of an mh service is kept,
 * head to tail, in the reverse of the configuration's order (what adding in configuration order gives), with the
 * fewest moves to the front when it is not; and a destination is always added at its configured weight, then set to
 * 0 when health wants it quiesced.
 */
public final class Reconciler {
    private Reconciler() {
    }

    /** A service as it should be, with every destination it should have. */
    /**
     * @param addWeights the weight to add a destination with when it is not in the kernel, when that differs from its
     *                   weight here (an mh destination quiesced by health is added at its configured weight, then set
     *                   to 0, so that it has its slots as on every other director)
     */
    public record DesiredService(VirtualService service, List<Destination> destinations,
                                 Map<InetSocketAddress, Integer> addWeights) {
        public DesiredService {
            Objects.requireNonNull(service, "service");
            destinations = List.copyOf(destinations);
            addWeights = Map.copyOf(addWeights);
        }

        public DesiredService(VirtualService service, List<Destination> destinations) {
            this(service, destinations, Map.of());
        }

        /** {@code d} as it is to be added: at its add weight when it has one. */
        Destination toAdd(Destination d) {
            Integer w = addWeights.get(d.address());
            return w == null || w == d.weight() ? d : d.withWeight(w);
        }
    }

    /** The scheduler whose table depends on the order of the destination list. */
    static final String MAGLEV = "mh";

    /**
     * @param ops       in order: deletions, service edits, destination removals, additions, edits
     * @param foreign   services in the kernel that lvsd does not own and left alone
     * @param switching the service edits among {@code ops} that change the scheduler: the kernel unbinds the old one,
     *                  waits an RCU grace period and binds the new one, and a new connection arriving in between finds
     *                  no scheduler and is refused with an ICMP port unreachable (see {@link Bracket})
     */
    public record Plan(List<IpvsOp> ops, List<ServiceKey> foreign, List<SchedulerSwitch> switching) {
        public Plan {
            ops = List.copyOf(ops);
            foreign = List.copyOf(foreign);
            switching = List.copyOf(switching);
        }
    }

    /** A service whose scheduler an edit changes, {@code from} and {@code to} kernel scheduler names. */
    public record SchedulerSwitch(ServiceKey key, String from, String to) {
        public String describe() {
            return key.describe() + " (" + from + " -> " + to + ")";
        }
    }

    /** Work that must bracket the apply of a plan whose edits switch schedulers; it runs {@code apply} once. */
    @FunctionalInterface
    public interface Bracket {
        Bracket NONE = (switching, apply) -> apply.call();

        ApplyResult around(List<SchedulerSwitch> switching, Apply apply) throws IOException;
    }

    /** The apply that a {@link Bracket} wraps. */
    @FunctionalInterface
    public interface Apply {
        ApplyResult call() throws IOException;
    }

    /** What a reconcile did. */
    public record Report(Plan plan, ApplyResult result) {
    }

    /**
     * @param owned the services lvsd may change or delete: those it wants plus those it put in
     *              before (so a service removed from the configuration is deleted)
     */
    public static Plan plan(Collection<DesiredService> desired, List<ServiceState> actual, Set<ServiceKey> owned) {
        Map<ServiceKey, DesiredService> want = new LinkedHashMap<>();
        for (DesiredService d : desired) {
            want.put(d.service().key(), d);
        }
        Map<ServiceKey, ServiceState> have = new LinkedHashMap<>();
        for (ServiceState s : actual) {
            have.put(s.service().key(), s);
        }
        List<IpvsOp> deleteServices = new ArrayList<>();
        List<IpvsOp> editServices = new ArrayList<>();
        List<IpvsOp> deleteDests = new ArrayList<>();
        List<IpvsOp> addServices = new ArrayList<>();
        List<IpvsOp> addDests = new ArrayList<>();
        List<IpvsOp> editDests = new ArrayList<>();
        List<ServiceKey> foreign = new ArrayList<>();
        List<SchedulerSwitch> switching = new ArrayList<>();
        for (ServiceState s : actual) {
            ServiceKey k = s.service().key();
            if (!want.containsKey(k)) {
                if (owned.contains(k)) {
                    deleteServices.add(new IpvsOp.DeleteService(k));
                } else {
                    foreign.add(k);
                }
            }
        }
        for (DesiredService d : want.values()) {
            ServiceKey k = d.service().key();
            ServiceState s = have.get(k);
            if (s == null) {
                addServices.add(new IpvsOp.AddService(d.service()));
                for (Destination dest : d.destinations()) {
                    add(d, dest, addDests, editDests);
                }
                continue;
            }
            if (!sameService(s.service(), d.service())) {
                editServices.add(new IpvsOp.EditService(d.service()));
                if (!s.service().scheduler().equals(d.service().scheduler())) {
                    switching.add(new SchedulerSwitch(k, s.service().scheduler(), d.service().scheduler()));
                }
            }
            Map<InetSocketAddress, Destination> current = new LinkedHashMap<>();
            for (ServiceState.DestinationState ds : s.destinations()) {
                current.put(ds.destination().address(), ds.destination());
            }
            Set<InetSocketAddress> moved = MAGLEV.equals(d.service().scheduler())
                    ? maglevOrder(d, s, addDests, editDests) : Set.of();
            for (Destination dest : d.destinations()) {
                Destination cur = current.remove(dest.address());
                if (moved.contains(dest.address())) {
                    continue;
                }
                if (cur == null) {
                    add(d, dest, addDests, editDests);
                } else if (!sameDest(cur, dest)) {
                    editDests.add(new IpvsOp.EditDest(k, dest));
                }
            }
            for (InetSocketAddress gone : current.keySet()) {
                deleteDests.add(new IpvsOp.DeleteDest(k, gone));
            }
        }
        List<IpvsOp> ops = new ArrayList<>();
        ops.addAll(deleteServices);
        ops.addAll(editServices);
        ops.addAll(deleteDests);
        ops.addAll(addServices);
        ops.addAll(addDests);
        ops.addAll(editDests);
        return new Plan(ops, foreign, switching);
    }

    /** Adds {@code dest} at its add weight, then sets the weight it is to have when that differs. */
    private static void add(DesiredService d, Destination dest, List<IpvsOp> addDests, List<IpvsOp> editDests) {
        Destination first = d.toAdd(dest);
        addDests.add(new IpvsOp.AddDest(d.service().key(), first));
        if (first.weight() != dest.weight()) {
            editDests.add(new IpvsOp.EditDest(d.service().key(), dest));
        }
    }

    /**
     * Puts the destination list of an mh service in its canonical order: head to tail, the reverse of {@code d}'s
     * order. The destinations at the tail that already follow that order stay; the others are moved to the front
     * (deleted and added again: the kernel takes the same destination back from its trash, so its connections go on)
     * and new ones are added, last canonical first. Returns the destinations this handled (moved or added).
     */
    static Set<InetSocketAddress> maglevOrder(DesiredService d, ServiceState s, List<IpvsOp> addDests,
                                              List<IpvsOp> editDests) {
        List<Destination> canonical = new ArrayList<>(d.destinations());
        java.util.Collections.reverse(canonical);
        Set<InetSocketAddress> wanted = new java.util.HashSet<>();
        for (Destination x : canonical) {
            wanted.add(x.address());
        }
        // The kernel's list, head to tail: all of it, and what stays after the deletions.
        Map<InetSocketAddress, Destination> current = new LinkedHashMap<>();
        List<InetSocketAddress> list = new ArrayList<>();
        for (ServiceState.DestinationState ds : s.destinations()) {
            current.put(ds.destination().address(), ds.destination());
            if (wanted.contains(ds.destination().address())) {
                list.add(ds.destination().address());
            }
        }
        // The longest tail of the canonical order that is already, in that order, in the list: it stays put.
        int keepFrom = canonical.size();
        int p = list.size() - 1;
        while (keepFrom > 0) {
            InetSocketAddress want = canonical.get(keepFrom - 1).address();
            while (p >= 0 && !list.get(p).equals(want)) {
                p--;
            }
            if (p < 0) {
                break;
            }
            keepFrom--;
            p--;
        }
        Set<InetSocketAddress> handled = new java.util.HashSet<>();
        ServiceKey k = d.service().key();
        for (int i = keepFrom - 1; i >= 0; i--) {
            Destination dest = canonical.get(i);
            Destination before = current.get(dest.address());
            if (before != null) {
                addDests.add(new IpvsOp.DeleteDest(k, dest.address()));
                // Back at the weight its slots were computed from: its configured one unless health has set it.
                Destination back = d.toAdd(dest);
                if (back.weight() == 0 && before.weight() > 0) {
                    back = back.withWeight(before.weight());
                }
                addDests.add(new IpvsOp.AddDest(k, back));
                if (!sameDest(back, dest)) {
                    editDests.add(new IpvsOp.EditDest(k, dest));
                }
            } else {
                add(d, dest, addDests, editDests);
            }
            handled.add(dest.address());
        }
        return handled;
    }

    /** Dumps, plans and applies; the report says what was done and what failed. */
    public static Report reconcile(IpvsClient client, Collection<DesiredService> desired, Set<ServiceKey> owned)
            throws IOException {
        return reconcile(client, desired, owned, Bracket.NONE);
    }

    /** As {@link #reconcile(IpvsClient, Collection, Set)}, with {@code bracket} around an apply that switches schedulers. */
    public static Report reconcile(IpvsClient client, Collection<DesiredService> desired, Set<ServiceKey> owned,
                                   Bracket bracket) throws IOException {
        Plan plan = plan(desired, client.dump(), owned);
        ApplyResult result;
        if (plan.ops().isEmpty()) {
            result = new ApplyResult(List.of());
        } else if (plan.switching().isEmpty()) {
            result = client.apply(plan.ops());
        } else {
            result = bracket.around(plan.switching(), () -> client.apply(plan.ops()));
        }
        return new Report(plan, result);
    }

    static boolean sameService(VirtualService a, VirtualService b) {
        return a.scheduler().equals(b.scheduler()) && a.flags() == b.flags()
                && (!b.persistent() || (a.timeout() == b.timeout() && a.netmask() == b.netmask()))
                && Objects.equals(a.peName(), b.peName());
    }

    static boolean sameDest(Destination a, Destination b) {
        return a.forwarding() == b.forwarding() && a.weight() == b.weight()
                && a.upperThreshold() == b.upperThreshold() && a.lowerThreshold() == b.lowerThreshold()
                && (a.forwarding() != Forwarding.TUN || a.tunnel().equals(b.tunnel()));
    }
}
