package io.lvsd.controller.admin;

import io.lvsd.controller.BuildInfo;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.ConfigSummary;
import io.lvsd.controller.daemon.Daemon;
import io.lvsd.controller.daemon.EventLog;
import io.lvsd.controller.ipvs.IpvsStatus;
import io.lvsd.controller.sync.SyncStatus;
import io.lvsd.vrrp.InstanceStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The {@code /status} document. {@code lastReload}: what the last successful reload changed, per component, one
 * line per action (components that report their changes; empty before the first reload). {@code events}: the
 * director's latest events, oldest first (see {@link EventLog}).
 */
public record StatusReport(String director, String version, long pid, String startedAt, long uptimeSeconds,
                           List<String> lastReloadErrors, Map<String, List<String>> lastReload, ConfigSummary config,
                           List<InstanceStatus> vrrp,
                           IpvsStatus ipvs, io.lvsd.controller.health.HealthStatus.Report health, SyncStatus sync,
                           io.lvsd.controller.routing.RoutingStatus routing, List<EventLog.Event> events) {

    public static StatusReport of(Daemon daemon, Instant startedAt, Clock clock, Map<String, List<String>> lastReload,
                                  List<InstanceStatus> vrrp,
                                  IpvsStatus ipvs, io.lvsd.controller.health.HealthStatus.Report health,
                                  SyncStatus sync, io.lvsd.controller.routing.RoutingStatus routing,
                                  List<EventLog.Event> events) {
        return new StatusReport(daemon.config().director().name(), BuildInfo.version(), ProcessHandle.current().pid(),
                startedAt.toString(), Duration.between(startedAt, clock.instant()).toSeconds(),
                daemon.lastReloadErrors().stream().map(ConfigProblem::format).toList(), lastReload,
                ConfigSummary.of(daemon.config()), vrrp, ipvs, health, sync, routing, events);
    }
}
