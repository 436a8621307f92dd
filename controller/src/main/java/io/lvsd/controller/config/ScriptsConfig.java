package io.lvsd.controller.config;

import io.lvsd.linux.Require;
import java.time.Duration;

/**
 * {@code scripts { user, timeout, max-concurrent }}: every script lvsd runs (track, notify,
 * check) runs as {@code user}, is killed with its process group after {@code timeout} unless
 * it has its own, and at most {@code maxConcurrent} run at once.
 */
public record ScriptsConfig(String user, Duration timeout, int maxConcurrent) {
    public ScriptsConfig {
        Require.nonEmpty("user", user);
        Require.positive("timeout", timeout);
        Require.range("max-concurrent", maxConcurrent, 1, 1024);
    }
}
