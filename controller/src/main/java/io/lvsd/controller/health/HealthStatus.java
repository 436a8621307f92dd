package io.lvsd.controller.health;

import java.util.List;

/**
 * One real server in the {@code health} section of {@code /status}.
 *
 * @param weight     the weight lvsd programs now, null when it is left out of the table (down, on-failure remove)
 * @param since      when the state last changed (or the watch began)
 * @param lastResult what the latest probe found, null before the first
 * @param sharedBy   how many virtual servers share this probe
 * @param override   an operator's runtime override (admin API), or null
 */
public record HealthStatus(String service, String realServer, String check, String state, Integer weight, String since,
                           String lastResult, Double lastProbeMillis, int sharedBy, String override) {

    /** The {@code health} section of {@code /status}. */
    public record Report(List<HealthStatus> realServers, List<Quorum> services) {
        public Report {
            realServers = List.copyOf(realServers);
            services = List.copyOf(services);
        }
    }

    /**
     * A virtual server's quorum.
     *
     * @param sorryServer the sorry server in place now, or null
     */
    public record Quorum(String service, long liveWeight, int quorum, int hysteresis, String state, String sorryServer) {
    }
}
