package io.lvsd.controller.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code admin { ... }}: where the page, /metrics, /status and /healthz are served, and who may use the runtime API
 * (drain, enable, weight). A non-loopback {@code listen} needs {@code allow-remote = true}.
 *
 * @param controlSocket      the runtime API's Unix-domain socket; null: {@code lvsd-netns-ID.sock} in the runtime
 *                           directory, one per network namespace like the instance lock
 * @param controlSocketGroup a group whose members may use the control socket too (mode 0660), or null: its owner
 *                           only (0600)
 * @param tokenFile          a file, readable by its owner only, holding the bearer token that lets a loopback client
 *                           of {@code listen} use the runtime API; null: the API is not served over {@code listen}
 * @param maxConnections     connections open at once on both listeners; beyond, the one waiting longest is closed
 * @param requestTimeout     how long a connection may take to send a complete request
 */
public record AdminConfig(InetSocketAddress listen, boolean allowRemote, Path controlSocket, String controlSocketGroup,
                          Path tokenFile, int maxConnections, Duration requestTimeout) {
    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
        io.lvsd.linux.Require.range("max-connections", maxConnections, 1, 4096);
        io.lvsd.linux.Require.positive("request-timeout", requestTimeout);
        if (!allowRemote && !listen.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("listen: " + listen + " (expected a loopback address unless allow-remote = true)");
        }
    }

    public AdminConfig(InetSocketAddress listen, boolean allowRemote) {
        this(listen, allowRemote, null, null, null, 64, Duration.ofSeconds(10));
    }
}
