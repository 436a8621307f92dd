package io.lvsd.vrrp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything the VRRP module runs: its instances, the sync groups that tie instances together
 * and the track scripts instances refer to by name. Maps keep the configuration's order.
 */
public record VrrpConfig(Map<String, VrrpInstanceConfig> instances,
                         Map<String, SyncGroupConfig> syncGroups,
                         Map<String, TrackScriptConfig> trackScripts) {
    public VrrpConfig {
        instances = ordered(instances);
        syncGroups = ordered(syncGroups);
        trackScripts = ordered(trackScripts);
    }

    private static <V> Map<String, V> ordered(Map<String, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** No VRRP at all: a director that only programs IPVS. */
    public static VrrpConfig none() {
        return new VrrpConfig(Map.of(), Map.of(), Map.of());
    }
}
