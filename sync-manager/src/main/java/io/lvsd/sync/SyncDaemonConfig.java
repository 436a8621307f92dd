package io.lvsd.sync;

import io.lvsd.linux.Require;
import java.net.InetAddress;
import java.time.Duration;

/**
 * The kernel's IPVS connection-sync daemons.
 *
 * @param interfaceName the multicast interface; null disables sync
 * @param syncId        0-255; 0 accepts every sync id
 * @param follow        a VRRP instance: run the master daemon while it is MASTER, the backup
 *                      daemon otherwise; null runs both daemons all the time
 * @param maxlen        largest sync message payload, or 0 for the kernel's choice (from the MTU)
 * @param group         multicast group, or null for the kernel default (224.0.0.81 / ff02::81)
 * @param port          UDP port (the kernel's default is 8848)
 * @param ttl           multicast TTL, 1-255
 * @param preemptWait   how long a returning director waits for sync traffic before preempting
 */
public record SyncDaemonConfig(String interfaceName, int syncId, String follow, int maxlen, InetAddress group,
                               int port, int ttl, Duration preemptWait) {
    public SyncDaemonConfig {
        Require.range("sync-id", syncId, 0, 255);
        if (maxlen != 0) {
            Require.range("maxlen", maxlen, 576, 65507);
        }
        Require.range("port", port, 1, 65535);
        Require.range("ttl", ttl, 1, 255);
        Require.nonNegative("preempt-wait", preemptWait);
    }

    /** True when an interface is configured. */
    public boolean enabled() {
        return interfaceName != null;
    }

    public static SyncDaemonConfig disabled() {
        return new SyncDaemonConfig(null, 0, null, 0, null, 8848, 1, Duration.ofSeconds(10));
    }
}
