package io.lvsd.controller.config;

import io.lvsd.healthcheck.CheckConfig;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.Scheduler;
import io.lvsd.ipvs.SchedulerFlag;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.linux.Require;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.proc.Command;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of {@code virtual-servers}: an IPVS virtual service, its real servers and how they
 * are checked. Exactly one of {@code address} and {@code fwmark} is set.
 */
public record VirtualServerConfig(String name, InetSocketAddress address, Long fwmark, IpFamily family,
                                  Protocol protocol, Scheduler scheduler, Set<SchedulerFlag> schedulerFlags,
                                  Forwarding forwarding, TunnelConfig tunnel, Persistence persistence,
                                  boolean onePacket, OnFailure onFailure, Duration drainTimeout, Quorum quorum,
                                  InetSocketAddress sorryServer, CheckConfig check, List<RealServerConfig> realServers) {
    public VirtualServerConfig {
        Require.nonEmpty("name", name);
        if ((address == null) == (fwmark == null)) {
            throw new IllegalArgumentException("address: (expected exactly one of address or fwmark)");
        }
        if (fwmark != null) {
            Require.range("fwmark", fwmark, 1, 0xFFFF_FFFFL);
        }
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(scheduler, "scheduler");
        schedulerFlags = Set.copyOf(schedulerFlags);
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(onFailure, "on-failure");
        Require.positive("drain-timeout", drainTimeout);
        Objects.requireNonNull(quorum, "quorum");
        Objects.requireNonNull(check, "check");
        realServers = List.copyOf(realServers);
    }

    /** What happens to a real server whose check fails. */
    public enum OnFailure {
        /** Delete the destination: new and (with expire_nodest_conn) existing flows move. */
        REMOVE,
        /** Set its weight to 0: no new connections, existing ones stay. */
        QUIESCE
    }

    /**
     * {@code persistence { timeout, netmask, engine }}: timeout 0 means no persistence;
     * {@code netmaskPrefix} null means a full-length mask.
     */
    public record Persistence(Duration timeout, Integer netmaskPrefix, String engine) {
        public Persistence {
            Require.nonNegative("timeout", timeout);
        }

        public boolean enabled() {
            return !timeout.isZero();
        }
    }

    /**
     * {@code quorum { weight, hysteresis, up, down }}: below {@code weight - hysteresis} of live
     * weight the service has lost quorum; at {@code weight + hysteresis} it regains it.
     */
    public record Quorum(int weight, int hysteresis, Command up, Command down) {
        public Quorum {
            Require.range("weight", weight, 0, Integer.MAX_VALUE);
            Require.range("hysteresis", hysteresis, 0, weight);
        }
    }
}
