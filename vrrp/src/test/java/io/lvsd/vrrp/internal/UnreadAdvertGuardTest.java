package io.lvsd.vrrp.internal;

import static io.lvsd.vrrp.internal.UnreadAdvertGuard.Verdict.EXPIRE;
import static io.lvsd.vrrp.internal.UnreadAdvertGuard.Verdict.GIVE_UP;
import static io.lvsd.vrrp.internal.UnreadAdvertGuard.Verdict.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Times are plain nanosecond numbers: the guard reads no clock. */
class UnreadAdvertGuardTest {
    private static final long MS = 1_000_000L;
    private static final long LIMIT = 3_600 * MS;

    private final UnreadAdvertGuard g = new UnreadAdvertGuard();

    @Test
    void nothingUnreadLetsTheExpiryStand() {
        assertThat(g.atExpiry(10 * MS, false, LIMIT)).isEqualTo(EXPIRE);
        assertThat(g.waiting()).isFalse();
    }

    @Test
    void unreadPacketsHoldTheExpiryUntilTheyAreRead() {
        assertThat(g.atExpiry(1_000 * MS, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.waiting()).isTrue();
        assertThat(g.atExpiry(1_005 * MS, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.heldNanos(1_005 * MS)).isEqualTo(5 * MS);
        // The reader caught up and what it read was not an advert for us (or nothing restarted the timer).
        assertThat(g.atExpiry(1_010 * MS, false, LIMIT)).isEqualTo(EXPIRE);
        assertThat(g.waiting()).isFalse();
    }

    @Test
    void aReaderThatStaysBehindIsWaitedForOnlyUpToTheLimit() {
        long t0 = 5_000 * MS;
        assertThat(g.atExpiry(t0, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.atExpiry(t0 + LIMIT - 1, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.atExpiry(t0 + LIMIT, true, LIMIT)).isEqualTo(GIVE_UP);
        assertThat(g.waiting()).isFalse();
        // The next expiry (after the takeover went wrong and back) starts a fresh episode.
        assertThat(g.atExpiry(t0 + 2 * LIMIT, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.heldNanos(t0 + 2 * LIMIT + MS)).isEqualTo(MS);
    }

    @Test
    void anAdvertHandledMeanwhileEndsTheEpisode() {
        assertThat(g.atExpiry(100 * MS, true, LIMIT)).isEqualTo(WAIT);
        g.reset(); // the advert was read: the state machine restarted Master_Down_Interval
        assertThat(g.waiting()).isFalse();
        assertThat(g.heldNanos(200 * MS)).isZero();
        // Much later, the next expiry that finds packets unread gets a whole limit again.
        assertThat(g.atExpiry(100 * MS + LIMIT + 50 * MS, true, LIMIT)).isEqualTo(WAIT);
        assertThat(g.atExpiry(100 * MS + LIMIT + 100 * MS, true, LIMIT)).isEqualTo(WAIT);
    }
}
