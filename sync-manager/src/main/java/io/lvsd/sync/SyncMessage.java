package io.lvsd.sync;

import io.lvsd.linux.Require;
import java.util.List;

/**
 * One IPVS connection-sync datagram (net/netfilter/ipvs/ip_vs_sync.c).
 *
 * @param version     0 (IPv4 only, no timeouts) or 1 (the kernel's default since 2.6.39)
 * @param syncId      the sender's sync id, 0-255
 * @param connections the entries, at most 255
 */
public record SyncMessage(int version, int syncId, List<SyncConnection> connections) {
    public SyncMessage {
        Require.range("version", version, 0, 1);
        Require.range("sync-id", syncId, 0, 255);
        connections = List.copyOf(connections);
        Require.range("connections", connections.size(), 0, 255);
    }
}
