package io.lvsd.controller.config;

import io.lvsd.controller.config.VirtualServerConfig.Persistence;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a configuration defines, in the shape {@code check-config} prints and {@code /status}
 * serves as JSON.
 */
public record ConfigSummary(String file, String director, String admin, List<Instance> vrrpInstances,
                            Map<String, List<String>> syncGroups, List<Service> virtualServers, Sync syncDaemon) {

    public record Instance(String name, String interfaceName, int virtualRouterId, int priority, int version,
                           String advertInterval, boolean preempt, String mode, List<String> virtualAddresses) {
    }

    public record Service(String name, String service, String scheduler, String forwarding, String persistence,
                          String check, List<Real> realServers) {
    }

    public record Real(String address, int weight, String forwarding) {
    }

    public record Sync(boolean enabled, String interfaceName, int syncId, String mode) {
    }

    public static ConfigSummary of(LvsdConfig c) {
        List<Instance> instances = new ArrayList<>();
        for (VrrpInstanceConfig i : c.vrrp().instances().values()) {
            instances.add(new Instance(i.name(), i.interfaceName(), i.virtualRouterId(), i.priority(), i.version(),
                    human(i.advertInterval()), i.preempt(),
                    i.unicastPeers().isEmpty() ? "multicast" : "unicast to " + i.unicastPeers().stream()
                            .map(a -> a.getHostAddress()).toList(),
                    i.virtualAddresses().stream().map(a -> a.prefix().toString()
                            + (a.interfaceName() == null ? "" : " dev " + a.interfaceName())).toList()));
        }
        Map<String, List<String>> groups = new java.util.LinkedHashMap<>();
        c.vrrp().syncGroups().forEach((k, g) -> groups.put(k, g.instances()));
        List<Service> services = new ArrayList<>();
        for (VirtualServerConfig v : c.virtualServers()) {
            String svc = v.fwmark() != null ? "fwmark " + v.fwmark() + " " + v.family()
                    : v.protocol().key() + " " + IpAddresses.format(v.address());
            Persistence p = v.persistence();
            String persistence = p.enabled() ? p.timeout().toSeconds() + "s"
                    + (p.netmaskPrefix() == null ? "" : " /" + p.netmaskPrefix()) : "off";
            List<Real> reals = v.realServers().stream()
                    .map(r -> new Real(IpAddresses.format(r.address()), r.weight(), r.forwarding().key())).toList();
            services.add(new Service(v.name(), svc, v.scheduler().key()
                    + (v.schedulerFlags().isEmpty() ? "" : " " + v.schedulerFlags()), v.forwarding().key(), persistence,
                    v.check().type().key() + " every " + human(v.check().interval()), reals));
        }
        SyncDaemonConfig s = c.syncDaemon();
        Sync sync = new Sync(s.enabled(), s.interfaceName(), s.syncId(),
                !s.enabled() ? "off" : s.follow() == null ? "master and backup" : "follows " + s.follow());
        return new ConfigSummary(c.source().toString(), c.director().name(),
                IpAddresses.format(c.admin().listen()), instances, groups, services, sync);
    }

    /** The one-screen text {@code lvsd check-config} prints. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append(file).append(": OK\n");
        b.append("director ").append(director).append(", admin on ").append(admin).append('\n');
        b.append("vrrp: ").append(vrrpInstances.size()).append(" instance(s)\n");
        for (Instance i : vrrpInstances) {
            b.append(String.format("  %-12s %s vrid %d prio %d v%d every %s%s, %s: %s%n", i.name(), i.interfaceName(),
                    i.virtualRouterId(), i.priority(), i.version(), i.advertInterval(), i.preempt() ? "" : ", nopreempt",
                    i.mode(), String.join(" ", i.virtualAddresses())));
        }
        syncGroups.forEach((k, v) -> b.append("  sync group ").append(k).append(": ").append(String.join(", ", v)).append('\n'));
        b.append("virtual servers: ").append(virtualServers.size()).append('\n');
        for (Service s : virtualServers) {
            b.append(String.format("  %-12s %s %s %s, persistence %s, check %s%n", s.name(), s.service(), s.scheduler(),
                    s.forwarding(), s.persistence(), s.check()));
            for (Real r : s.realServers()) {
                b.append(String.format("    -> %s weight %d %s%n", r.address(), r.weight(), r.forwarding()));
            }
        }
        b.append("sync daemon: ").append(syncDaemon.mode());
        if (syncDaemon.enabled()) {
            b.append(" on ").append(syncDaemon.interfaceName()).append(", sync id ").append(syncDaemon.syncId());
        }
        return b.append('\n').toString();
    }

    private static String human(java.time.Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
