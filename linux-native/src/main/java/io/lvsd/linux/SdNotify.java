package io.lvsd.linux;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}): newline-separated {@code KEY=VALUE}
 * assignments sent as one datagram to the socket named by {@code NOTIFY_SOCKET}. Outside
 * systemd the variable is unset and every call is a no-op.
 */
public final class SdNotify implements AutoCloseable {
    private final String socketPath;
    private final UnixDatagramSocket socket;
    private final Duration watchdogInterval;

    private SdNotify(String socketPath, UnixDatagramSocket socket, Duration watchdogInterval) {
        this.socketPath = socketPath;
        this.socket = socket;
        this.watchdogInterval = watchdogInterval;
    }

    /**
     * Reads {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} from
     * {@code env}. The watchdog applies only when {@code WATCHDOG_PID} is unset or names
     * {@code pid}, as sd_watchdog_enabled(3) specifies.
     */
    public static SdNotify fromEnvironment(Map<String, String> env, long pid) throws NativeException {
        String path = env.get("NOTIFY_SOCKET");
        Duration watchdog = null;
        String usec = env.get("WATCHDOG_USEC");
        String wpid = env.get("WATCHDOG_PID");
        if (usec != null && (wpid == null || wpid.equals(Long.toString(pid)))) {
            try {
                long us = Long.parseLong(usec.trim());
                if (us > 0) {
                    watchdog = Duration.ofNanos(us * 1000);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("WATCHDOG_USEC: \"" + usec + "\" (expected a positive integer)");
            }
        }
        if (path == null || path.isEmpty()) {
            return new SdNotify(null, null, null);
        }
        return new SdNotify(path, UnixDatagramSocket.open(), watchdog);
    }

    /** True when a notification socket is configured. */
    public boolean enabled() {
        return socket != null;
    }

    /** The interval systemd expects WATCHDOG=1 within, when the watchdog is on. */
    public Optional<Duration> watchdogInterval() {
        return Optional.ofNullable(socket == null ? null : watchdogInterval);
    }

    /** Sends one state message such as {@code READY=1} or {@code STATUS=...\nRELOADING=1}. */
    public void notify(String state) throws NativeException {
        if (socket != null) {
            socket.send(socketPath, state.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
