package io.lvsd.controller.daemon;

import io.lvsd.controller.config.LvsdConfig;

/**
 * A part of the daemon with a lifecycle. The daemon starts components in list order, stops
 * them in reverse and hands each a new configuration on reload. All calls come from the
 * director loop, one at a time.
 */
public interface Component {
    /** A short name for logs, e.g. {@code admin}. */
    String name();

    /** Starts with the first configuration; a failure aborts startup. */
    void start(LvsdConfig config) throws Exception;

    /**
     * Applies a new configuration. Throwing means it was not applied: the daemon then hands
     * the old configuration back to the components that had already taken the new one.
     */
    void reload(LvsdConfig previous, LvsdConfig next) throws Exception;

    /**
     * Called on every started component, in stop order, before any of them stops: work that must be done while
     * the others still run (connection sync's handover replay, while VRRP still holds the VIPs). Must not throw.
     */
    default void beforeStop() {
    }

    /** Stops; must not throw. */
    void stop();

    /**
     * What the last successful reload changed here, one line per action (for {@code /status}); empty before the
     * first reload or when it changed nothing. Any thread may call it: it returns an immutable snapshot.
     */
    default java.util.List<String> lastReload() {
        return java.util.List.of();
    }

    /** Counts one reload action of {@code component} in {@code lvsd_config_reload_actions_total{component,action}}. */
    static void countReloadAction(io.micrometer.core.instrument.MeterRegistry registry, String component, String action) {
        io.micrometer.core.instrument.Counter.builder("lvsd.config.reload.actions").tag("component", component)
                .tag("action", action).description("What reloads changed, by component and action").register(registry)
                .increment();
    }
}
