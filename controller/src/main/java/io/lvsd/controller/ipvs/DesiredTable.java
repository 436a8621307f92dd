package io.lvsd.controller.ipvs;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.RealServerConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Reconciler.DesiredService;
import io.lvsd.ipvs.SchedulerFlag;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The IPVS table a configuration asks for, and the names operators gave its services. Weights
 * are the configured ones; health checks (when they run) adjust them before reconciling.
 */
public record DesiredTable(List<DesiredService> services, Map<ServiceKey, String> names) {
    public DesiredTable {
        services = List.copyOf(services);
        names = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(names));
    }

    public static DesiredTable from(LvsdConfig config) {
        List<DesiredService> out = new ArrayList<>();
        Map<ServiceKey, String> names = new LinkedHashMap<>();
        for (VirtualServerConfig v : config.virtualServers()) {
            VirtualService svc = service(v);
            List<Destination> dests = new ArrayList<>();
            for (RealServerConfig r : v.realServers()) {
                dests.add(new Destination(r.address(), r.forwarding(), r.weight(), r.upperThreshold(), r.lowerThreshold(),
                        r.tunnel()));
            }
            out.add(new DesiredService(svc, dests));
            names.put(svc.key(), v.name());
        }
        return new DesiredTable(out, names);
    }

    /** The kernel's view of a configured virtual server. */
    static VirtualService service(VirtualServerConfig v) {
        ServiceKey key = v.fwmark() != null ? new ServiceKey.Fwmark(v.family(), v.fwmark())
                : new ServiceKey.Addr(v.protocol(), v.address());
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
