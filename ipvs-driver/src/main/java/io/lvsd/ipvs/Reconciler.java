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
 */
public final class Reconciler {
    private Reconciler() {
    }

    /** A service as it should be, with every destination it should have. */
    public record DesiredService(VirtualService service, List<Destination> destinations) {
        public DesiredService {
            Objects.requireNonNull(service, "service");
            destinations = List.copyOf(destinations);
        }
    }

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
                    addDests.add(new IpvsOp.AddDest(k, dest));
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
            for (Destination dest : d.destinations()) {
                Destination cur = current.remove(dest.address());
                if (cur == null) {
                    addDests.add(new IpvsOp.AddDest(k, dest));
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
