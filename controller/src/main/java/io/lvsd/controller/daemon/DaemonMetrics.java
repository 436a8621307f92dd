package io.lvsd.controller.daemon;

import io.lvsd.controller.BuildInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code lvsd_build_info}, {@code lvsd_config_reloads_total{result}},
 * {@code lvsd_config_last_reload_success_timestamp_seconds} and
 * {@code lvsd_internal_errors_total{loop}}.
 */
public final class DaemonMetrics implements MeterBinder {
    private final AtomicLong lastSuccessMillis = new AtomicLong();
    private Counter success;
    private Counter failure;
    private MeterRegistry registry;

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("lvsd.build.info", () -> 1)
                .description("lvsd build information; the value is always 1")
                .tags("version", BuildInfo.version(), "java", System.getProperty("java.version"))
                .register(registry);
        success = Counter.builder("lvsd.config.reloads").tag("result", "success")
                .description("Configuration reloads (SIGHUP) by result").register(registry);
        failure = Counter.builder("lvsd.config.reloads").tag("result", "failure")
                .description("Configuration reloads (SIGHUP) by result").register(registry);
        Gauge.builder("lvsd.config.last.reload.success.timestamp", lastSuccessMillis, v -> v.get() / 1000.0)
                .baseUnit("seconds")
                .description("When the configuration was last loaded successfully (startup or reload), Unix time")
                .register(registry);
        // The loops exist from the start at 0, so that an alert on increase() sees the first error.
        for (String loop : LOOPS) {
            registry.counter("lvsd.internal.errors", "loop", loop);
        }
    }

    /** The loops that count their errors here. */
    static final java.util.List<String> LOOPS = java.util.List.of("director", "admin");

    /** The configuration was loaded at startup or by a reload. */
    public void loaded(long epochMillis, boolean reload) {
        lastSuccessMillis.set(epochMillis);
        if (reload) {
            success.increment();
        }
    }

    public void reloadFailed() {
        failure.increment();
    }

    public double reloads(boolean ok) {
        return ok ? success.count() : failure.count();
    }

    /** Counts a Throwable caught by one of the daemon's loops. */
    public void internalError(String loop) {
        registry.counter("lvsd.internal.errors", "loop", loop).increment();
    }
}
