package io.lvsd.healthcheck;

import io.lvsd.linux.Require;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * How one real server is checked.
 *
 * @param interval       time between probes while the state is stable
 * @param timeout        how long one probe may take
 * @param retries        consecutive failures before an up server is marked down
 * @param retryDelay     time between probes after a failure, until down
 * @param rise           consecutive successes before a down server is marked up
 * @param warmup         delay the first probe by a random fraction of the interval
 * @param alpha          start down and wait for the first success (otherwise start up)
 * @param connectAddress probe this address instead of the real server's, or null
 * @param connectPort    probe this port instead of the real server's, or null
 * @param sourceAddress  bind probes to this local address, or null
 * @param sourcePort     bind probes to this local port, or null
 * @param bindInterface  bind probes to this interface (SO_BINDTODEVICE), or null
 * @param spec           what the probe does
 */
public record CheckConfig(Duration interval, Duration timeout, int retries, Duration retryDelay, int rise,
                          boolean warmup, boolean alpha, InetAddress connectAddress, Integer connectPort,
                          InetAddress sourceAddress, Integer sourcePort, String bindInterface, CheckSpec spec) {
    public CheckConfig {
        Require.positive("interval", interval);
        Require.positive("timeout", timeout);
        Require.range("retries", retries, 1, 100);
        Require.positive("retry-delay", retryDelay);
        Require.range("rise", rise, 1, 100);
        if (connectPort != null) {
            Require.range("connect-port", connectPort, 1, 65535);
        }
        if (sourcePort != null) {
            Require.range("source-port", sourcePort, 1, 65535);
        }
        Objects.requireNonNull(spec, "spec");
    }

    public CheckType type() {
        return spec.type();
    }
}
