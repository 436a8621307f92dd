package io.lvsd.controller.config;

import io.lvsd.healthcheck.CheckConfig;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.linux.Require;
import io.lvsd.linux.proc.Command;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A real server of a virtual server.
 *
 * @param upperThreshold stop sending new connections above this many (0 = no limit)
 * @param lowerThreshold resume below this many (0 = the kernel's 3/4 of upper)
 * @param notifyUp       run when its check comes up, or null
 * @param notifyDown     run when its check goes down, or null
 */
public record RealServerConfig(InetSocketAddress address, int weight, Forwarding forwarding, TunnelConfig tunnel,
                               int upperThreshold, int lowerThreshold, CheckConfig check,
                               Command notifyUp, Command notifyDown) {
    public static final int MAX_WEIGHT = 65535;

    public RealServerConfig {
        Objects.requireNonNull(address, "address");
        Require.range("weight", weight, 0, MAX_WEIGHT);
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(tunnel, "tunnel");
        Require.range("upper-threshold", upperThreshold, 0, Integer.MAX_VALUE);
        Require.range("lower-threshold", lowerThreshold, 0, upperThreshold == 0 ? Integer.MAX_VALUE : upperThreshold);
        Objects.requireNonNull(check, "check");
    }
}
