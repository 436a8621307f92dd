package io.lvsd.ipvs;

import io.lvsd.linux.Require;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * A kernel connection-sync daemon (IPVS_CMD_ATTR_DAEMON).
 *
 * @param maxlen 0 = the kernel's choice
 * @param group  null = the kernel's default group
 * @param port   0 = the kernel's default (8848)
 * @param ttl    0 = the kernel's default (1)
 */
public record SyncDaemon(Role role, String interfaceName, int syncId, int maxlen, InetAddress group, int port, int ttl) {
    public SyncDaemon {
        Objects.requireNonNull(role, "role");
        Require.nonEmpty("interface", interfaceName);
        Require.range("sync-id", syncId, 0, 255);
        Require.range("maxlen", maxlen, 0, 65535);
        Require.range("port", port, 0, 65535);
        Require.range("ttl", ttl, 0, 255);
    }

    /** IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP. */
    public enum Role {
        MASTER(1), BACKUP(2);

        private final int state;

        Role(int state) {
            this.state = state;
        }

        public int state() {
            return state;
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
