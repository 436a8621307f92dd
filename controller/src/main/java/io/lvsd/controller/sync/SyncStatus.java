package io.lvsd.controller.sync;

import java.util.List;

/**
 * The {@code sync} section of {@code /status}.
 *
 * @param daemons     the roles of the kernel sync daemons running now ({@code master}, {@code backup})
 * @param lastChange  when the daemons last changed, what changed and why
 * @param error       the last start or stop the kernel refused, or null
 * @param watchError  why the sync group cannot be listened to, or null
 * @param failBack    the sync-aware fail-back gate of the followed instance, or null without {@code follow}
 * @param senders     what has been heard on the sync group, per sender
 */
public record SyncStatus(boolean enabled, String interfaceName, int syncId, String follow, String followedState,
                         List<String> daemons, String lastChange, String error, String watchError, String failBack,
                         List<Sender> senders) {
    public SyncStatus {
        daemons = List.copyOf(daemons);
        senders = List.copyOf(senders);
    }

    /** One sender on the sync group; {@code lastMessageAgeSeconds} null before its first valid message. */
    public record Sender(String address, int syncId, long messages, long entries, long decodeErrors,
                         Double lastMessageAgeSeconds) {
    }
}
