package io.lvsd.vrrp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything the VRRP module runs: its instances, the sync groups that tie instances together
 * and the track scripts instances refer to by name. Maps keep the configuration's order.
 * {@code realtimePriority}: the {@code SCHED_FIFO} priority (1-99) of the threads adverts and
 * takeovers run on, or 0 for the ordinary policy.
 */
public record VrrpConfig(Map<String, VrrpInstanceConfig> instances,
                         Map<String, SyncGroupConfig> syncGroups,
                         Map<String, TrackScriptConfig> trackScripts,
                         int realtimePriority) {
    public VrrpConfig {
        instances = ordered(instances);
        syncGroups = ordered(syncGroups);
        trackScripts = ordered(trackScripts);
        if (realtimePriority < 0 || realtimePriority > 99) {
            throw new IllegalArgumentException("realtime priority " + realtimePriority + " (expected 0-99)");
        }
    }

    /** At the ordinary scheduling policy. */
    public VrrpConfig(Map<String, VrrpInstanceConfig> instances, Map<String, SyncGroupConfig> syncGroups,
                      Map<String, TrackScriptConfig> trackScripts) {
        this(instances, syncGroups, trackScripts, 0);
    }

    private static <V> Map<String, V> ordered(Map<String, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** No VRRP at all: a director that only programs IPVS. */
    public static VrrpConfig none() {
        return new VrrpConfig(Map.of(), Map.of(), Map.of());
    }
}
