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
 * @param throughVip     send probes to the VIP, forwarded to the real server as IPVS forwards ({@link ThroughVip});
 *                       excludes connect-address, source-address, source-port and interface
 * @param spec           what the probe does
 */
public record CheckConfig(Duration interval, Duration timeout, int retries, Duration retryDelay, int rise,
                          boolean warmup, boolean alpha, InetAddress connectAddress, Integer connectPort,
                          InetAddress sourceAddress, Integer sourcePort, String bindInterface, boolean throughVip,
                          CheckSpec spec) {
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
        if (throughVip) {
            String other = connectAddress != null ? "connect-address" : sourceAddress != null ? "source-address"
                    : sourcePort != null ? "source-port" : bindInterface != null ? "interface" : null;
            if (other != null) {
                throw new IllegalArgumentException("through-vip: true with " + other + " (expected none of these with through-vip: a probe"
                        + " through the VIP leaves from lvsd's probe namespace, to the VIP)");
            }
            if (!spec.type().network()) {
                throw new IllegalArgumentException("through-vip: true with type = " + spec.type().key()
                        + " (expected tcp, http, https, udp or dns)");
            }
        }
    }

    public CheckType type() {
        return spec.type();
    }
}
