package io.lvsd.vrrp;

import java.util.List;
import java.util.Map;

/**
 * One instance as {@code /status} shows it.
 *
 * @param masterAddress      the current master's address as last heard (ours when MASTER), or null
 * @param faultReason        why the instance is in FAULT, or null
 * @param drops              received packets dropped, by reason
 */
public record InstanceStatus(String name, String interfaceName, int virtualRouterId, int version, String state,
                             int configuredPriority, int effectivePriority, String masterAddress, String source,
                             List<String> virtualAddresses, boolean holdsAddresses, String syncGroup,
                             String lastTransition, String lastTransitionReason, String faultReason,
                             long advertsSent, long advertsReceived, Map<String, Long> drops,
                             long addressesRestored) {
}
