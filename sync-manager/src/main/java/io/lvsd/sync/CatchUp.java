package io.lvsd.sync;

import io.lvsd.linux.Require;
import java.util.Objects;

/**
 * lvsd's catch-up exchange on the sync group, which closes the gap the kernel's sync leaves at fail-back: the
 * kernel's master daemon sends a connection only when packets move on it, so a director that returns never
 * hears of the connections that stay idle. Before it preempts, the returning director sends a {@link Kind#REQUEST}
 * with a fresh nonce; the current master answers at once with {@link Kind#ACCEPTED}, reads its connection table,
 * replays every entry as ordinary version 1 sync messages (which the returning director's kernel backup daemon
 * takes in as it takes its peer's), then sends {@link Kind#DONE} with the nonce and the number of entries. "Done" tells "caught up" apart from "nothing
 * was sent", which silence cannot.
 *
 * <p>On the wire the datagram is shaped so that a kernel receiving it ignores it: byte 5 is not 1, so the kernel
 * reads it as a version 0 message, whose first byte (0) says it holds no connections
 * (net/netfilter/ipvs/ip_vs_sync.c, ip_vs_process_message_v0).
 *
 * @param kind   request, accepted or done
 * @param syncId the sender's sync id
 * @param nonce  chosen by the requester; a done answers the request with the same nonce
 * @param count  done: the entries replayed; request: 0
 */
public record CatchUp(Kind kind, int syncId, long nonce, long count) {
    public enum Kind {
        REQUEST(1), DONE(2), ACCEPTED(3);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The kind with this wire code, or null. */
        public static Kind ofCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }
    }

    public CatchUp {
        Objects.requireNonNull(kind, "kind");
        Require.range("sync-id", syncId, 0, 255);
        Require.range("count", count, 0, 0xffff_ffffL);
    }

    public static CatchUp request(int syncId, long nonce) {
        return new CatchUp(Kind.REQUEST, syncId, nonce, 0);
    }

    /** The master has the request and is replaying: the requester now waits for the done. */
    public static CatchUp accepted(int syncId, long nonce) {
        return new CatchUp(Kind.ACCEPTED, syncId, nonce, 0);
    }

    public static CatchUp done(int syncId, long nonce, long count) {
        return new CatchUp(Kind.DONE, syncId, nonce, count);
    }
}
