package io.lvsd.controller.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * {@code admin { listen, allow-remote }}: where /metrics, /status and /healthz are served.
 * A non-loopback address needs {@code allow-remote = true}.
 */
public record AdminConfig(InetSocketAddress listen, boolean allowRemote) {
    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
        if (!allowRemote && !listen.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("listen: " + listen + " (expected a loopback address unless allow-remote = true)");
        }
    }
}
