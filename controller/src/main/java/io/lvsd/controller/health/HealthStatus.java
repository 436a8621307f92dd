package io.lvsd.controller.health;

/**
 * One real server in the {@code health} section of {@code /status}.
 *
 * @param weight     the weight lvsd programs now, null when it is left out of the table (down, on-failure remove)
 * @param since      when the state last changed (or the watch began)
 * @param lastResult what the latest probe found, null before the first
 * @param sharedBy   how many virtual servers share this probe
 */
public record HealthStatus(String service, String realServer, String check, String state, Integer weight, String since,
                           String lastResult, Double lastProbeMillis, int sharedBy) {
}
