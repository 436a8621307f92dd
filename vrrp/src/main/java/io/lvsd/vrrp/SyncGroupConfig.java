package io.lvsd.vrrp;

import io.lvsd.linux.Require;
import java.util.List;
import java.util.Objects;

/** Instances that change state together; a fault in one faults them all. */
public record SyncGroupConfig(String name, List<String> instances, NotifyCommands notifyCommands) {
    public SyncGroupConfig {
        Require.nonEmpty("name", name);
        instances = List.copyOf(instances);
        if (instances.isEmpty()) {
            throw new IllegalArgumentException("instances: [] (expected at least one instance)");
        }
        Objects.requireNonNull(notifyCommands, "notify");
    }
}
