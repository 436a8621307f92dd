package io.lvsd.ipvs;

import io.lvsd.linux.net.IpAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An IPVS table in memory that answers as the kernel does (net/netfilter/ipvs/ip_vs_ctl.c):
 * EEXIST for a duplicate, ESRCH for a missing service, ENOENT for a missing destination or an
 * unknown scheduler, ERANGE for thresholds out of order, EINVAL for a mixed-family destination
 * that is not tunnelled. For controller tests and the reconciler's own tests.
 */
public final class InMemoryIpvsClient implements IpvsClient {
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ERANGE = 34;
    private static final Map<Integer, String[]> ERRNO = Map.of(
            ENOENT, new String[] {"ENOENT", "No such file or directory"},
            ESRCH, new String[] {"ESRCH", "No such process"},
            EEXIST, new String[] {"EEXIST", "File exists"},
            EINVAL, new String[] {"EINVAL", "Invalid argument"},
            ERANGE, new String[] {"ERANGE", "Numerical result out of range"});
    private static final Set<String> SCHEDULERS = Set.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed",
            "nq", "fo", "ovf", "mh", "twos");

    private final Map<ServiceKey, Svc> table = new LinkedHashMap<>();
    private final Map<SyncDaemon.Role, SyncDaemon> daemons = new EnumMap<>(SyncDaemon.Role.class);
    private IpvsTimeouts timeouts = new IpvsTimeouts(Duration.ofSeconds(900), Duration.ofSeconds(120), Duration.ofSeconds(300));
    private final Map<InetSocketAddress, Long> active = new java.util.HashMap<>();
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();

    private static final class Svc {
        VirtualService service;
        final Map<InetSocketAddress, Destination> dests = new LinkedHashMap<>();

        Svc(VirtualService service) {
            this.service = service;
        }
    }

    /** Makes every destination at {@code address} report {@code n} active connections (there is no traffic here). */
    public synchronized void setActiveConnections(InetSocketAddress address, long n) {
        active.put(address, n);
    }

    /** Operations applied or refused since creation: what a reconcile cost. */
    public long operations() {
        return operations.get();
    }

    /** Calls to {@link #apply}. */
    public long batches() {
        return batches.get();
    }

    @Override
    public synchronized IpvsInfo info() {
        return new IpvsInfo(0x010201, 4096);
    }

    /** Services and destinations in the order they were added, as a kernel list keeps them. */
    @Override
    public synchronized List<ServiceState> dump() {
        List<ServiceState> out = new ArrayList<>();
        for (Svc s : table.values()) {
            List<ServiceState.DestinationState> ds = s.dests.values().stream()
                    .map(d -> new ServiceState.DestinationState(d, active.getOrDefault(d.address(), 0L), 0, 0, Stats.ZERO))
                    .toList();
            out.add(new ServiceState(s.service, Stats.ZERO, ds));
        }
        return out;
    }

    @Override
    public synchronized ApplyResult apply(List<IpvsOp> ops) {
        batches.incrementAndGet();
        List<ApplyResult.Outcome> out = new ArrayList<>();
        for (IpvsOp op : ops) {
            operations.incrementAndGet();
            int errno = applyOne(op);
            String[] e = ERRNO.get(errno);
            out.add(new ApplyResult.Outcome(op, errno, errno == 0 ? null : e[0], errno == 0 ? null : e[1]));
        }
        return new ApplyResult(out);
    }

    private int applyOne(IpvsOp op) {
        Svc svc = table.get(op.key());
        if (op instanceof IpvsOp.AddService a) {
            if (svc != null) {
                return EEXIST;
            }
            int err = checkService(a.service());
            if (err == 0) {
                table.put(a.key(), new Svc(a.service()));
            }
            return err;
        }
        if (op instanceof IpvsOp.DeleteService) {
            return table.remove(op.key()) == null ? ESRCH : 0;
        }
        if (svc == null) {
            return ESRCH;
        }
        if (op instanceof IpvsOp.EditService e) {
            int err = checkService(e.service());
            if (err == 0) {
                svc.service = e.service();
            }
            return err;
        }
        if (op instanceof IpvsOp.AddDest a) {
            if (svc.dests.containsKey(a.destination().address())) {
                return EEXIST;
            }
            int err = checkDest(svc.service, a.destination());
            if (err == 0) {
                // At the head, as the kernel adds (ip_vs_ctl.c, list_add_rcu): the dump lists the newest first.
                Map<InetSocketAddress, Destination> was = new LinkedHashMap<>(svc.dests);
                svc.dests.clear();
                svc.dests.put(a.destination().address(), a.destination());
                svc.dests.putAll(was);
            }
            return err;
        }
        if (op instanceof IpvsOp.EditDest e) {
            if (!svc.dests.containsKey(e.destination().address())) {
                return ENOENT;
            }
            int err = checkDest(svc.service, e.destination());
            if (err == 0) {
                svc.dests.put(e.destination().address(), e.destination());
            }
            return err;
        }
        IpvsOp.DeleteDest d = (IpvsOp.DeleteDest) op;
        return svc.dests.remove(d.address()) == null ? ENOENT : 0;
    }

    private static int checkService(VirtualService s) {
        if (!SCHEDULERS.contains(s.scheduler())) {
            return ENOENT;
        }
        if (s.peName() != null && !s.peName().equals("sip")) {
            return ENOENT;
        }
        return 0;
    }

    private static int checkDest(VirtualService s, Destination d) {
        if (d.lowerThreshold() > d.upperThreshold()) {
            return ERANGE;
        }
        if (IpAddresses.family(d.address().getAddress()) != s.key().family() && d.forwarding() != Forwarding.TUN) {
            return EINVAL;
        }
        if (d.forwarding() == Forwarding.TUN && d.tunnel().type() == TunnelConfig.Type.GUE && d.tunnel().port() == 0) {
            return EINVAL;
        }
        return 0;
    }

    @Override
    public synchronized IpvsTimeouts timeouts() {
        return timeouts;
    }

    @Override
    public synchronized void setTimeouts(IpvsTimeouts t) {
        timeouts = new IpvsTimeouts(t.tcp() != null ? t.tcp() : timeouts.tcp(),
                t.tcpFin() != null ? t.tcpFin() : timeouts.tcpFin(), t.udp() != null ? t.udp() : timeouts.udp());
    }

    @Override
    public synchronized List<SyncDaemon> daemons() {
        return List.copyOf(daemons.values());
    }

    @Override
    public synchronized void startDaemon(SyncDaemon d) throws IOException {
        if (daemons.containsKey(d.role())) {
            throw new IOException("sendmsg(netlink IPVS NEW_DAEMON " + d.role().key() + "): EEXIST (File exists)");
        }
        daemons.put(d.role(), d);
    }

    @Override
    public synchronized void stopDaemon(SyncDaemon.Role role) throws IOException {
        if (daemons.remove(role) == null) {
            throw new IOException("sendmsg(netlink IPVS DEL_DAEMON " + role.key() + "): ESRCH (No such process)");
        }
    }

    @Override
    public synchronized void zero() {
    }

    @Override
    public synchronized void flush() {
        table.clear();
    }

    @Override
    public void close() {
    }
}
