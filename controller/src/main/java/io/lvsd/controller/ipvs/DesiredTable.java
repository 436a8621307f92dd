package io.lvsd.controller.ipvs;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.RealServerConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Reconciler.DesiredService;
import io.lvsd.ipvs.SchedulerFlag;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The IPVS table a configuration asks for, and the names operators gave its services. Each real server's weight
 * comes from {@link Health}: the configured one, one a check reported, 0 (quiesced), or none (left out).
 */
public record DesiredTable(List<DesiredService> services, Map<ServiceKey, String> names) {
    public DesiredTable {
        services = List.copyOf(services);
        names = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(names));
    }

    /** What the health checks make of a real server. */
    public interface Health {
        /** Every real server at its configured weight. */
        Health CONFIGURED = (v, r) -> r.weight();

        /** The weight to program for {@code r} of {@code v}, or null to leave it out of the table. */
        Integer weight(VirtualServerConfig v, RealServerConfig r);

        /** Real servers {@code v} keeps at weight 0 although the configuration no longer names them (draining). */
        default List<RealServerConfig> draining(VirtualServerConfig v) {
            return List.of();
        }

        /** The sorry server to put in {@code v} now (its quorum is lost), or null. */
        default InetSocketAddress sorryServer(VirtualServerConfig v) {
            return null;
        }

        /**
         * One consistent picture of health now, which does not change while a table is computed from it; the
         * reconciler takes one per reconcile. This one when it never changes.
         */
        default Health now() {
            return this;
        }
    }

    /** The table with configured weights. */
    public static DesiredTable from(LvsdConfig config) {
        return from(config, Health.CONFIGURED);
    }

    public static DesiredTable from(LvsdConfig config, Health health) {
        List<DesiredService> out = new ArrayList<>();
        Map<ServiceKey, String> names = new LinkedHashMap<>();
        for (VirtualServerConfig v : config.virtualServers()) {
            VirtualService svc = service(v);
            List<Destination> dests = new ArrayList<>();
            // mh: a destination's slots come from the weight it was added with (see Reconciler): a real server that
            // health quiesces is added at its configured weight first, as on a director where it was up.
            Map<InetSocketAddress, Integer> addWeights = new LinkedHashMap<>();
            boolean maglev = v.scheduler() == io.lvsd.ipvs.Scheduler.MH;
            for (RealServerConfig r : v.realServers()) {
                Integer weight = health.weight(v, r);
                if (weight != null) {
                    dests.add(destination(r, weight));
                    if (maglev && weight == 0 && r.weight() > 0) {
                        addWeights.put(r.address(), r.weight());
                    }
                }
            }
            for (RealServerConfig r : health.draining(v)) {
                if (dests.stream().noneMatch(x -> x.address().equals(r.address()))) {
                    dests.add(destination(r, 0));
                }
            }
            InetSocketAddress sorry = health.sorryServer(v);
            if (sorry != null && dests.stream().noneMatch(d -> d.address().equals(sorry))) {
                dests.add(new Destination(sorry, v.forwarding(), 1, 0, 0, v.tunnel()));
            }
            out.add(new DesiredService(svc, dests, addWeights));
            names.put(svc.key(), v.name());
        }
        return new DesiredTable(out, names);
    }

    private static Destination destination(RealServerConfig r, int weight) {
        return new Destination(r.address(), r.forwarding(), weight, r.upperThreshold(), r.lowerThreshold(), r.tunnel());
    }

    /** The kernel's key of a configured virtual server. */
    public static ServiceKey keyOf(VirtualServerConfig v) {
        return v.fwmark() != null ? new ServiceKey.Fwmark(v.family(), v.fwmark())
                : new ServiceKey.Addr(v.protocol(), v.address());
    }

    /** The kernel's view of a configured virtual server. */
    static VirtualService service(VirtualServerConfig v) {
        ServiceKey key = keyOf(v);
        int flags = 0;
        for (SchedulerFlag f : v.schedulerFlags()) {
            flags |= f.bit();
        }
        if (v.onePacket()) {
            flags |= VirtualService.ONEPACKET;
        }
        VirtualService s = new VirtualService(key, v.scheduler().key(), flags, 0, VirtualService.fullNetmask(v.family()), null);
        VirtualServerConfig.Persistence p = v.persistence();
        if (p.enabled()) {
            long mask = p.netmaskPrefix() == null ? VirtualService.fullNetmask(v.family())
                    : VirtualService.netmaskOf(v.family(), p.netmaskPrefix());
            s = s.withPersistence(p.timeout().toSeconds(), mask).withPe(p.engine());
        }
        return s;
    }
}
