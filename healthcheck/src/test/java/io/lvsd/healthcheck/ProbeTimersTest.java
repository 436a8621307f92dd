package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lanes of probe timers on a loop with frozen time. */
class ProbeTimersTest {
    static final long MS = 1_000_000;
    EmbeddedChannel clock;
    long now;
    ProbeTimers timers;
    final List<String> ran = new ArrayList<>();

    @BeforeEach
    void setUp() {
        clock = new EmbeddedChannel();
        clock.freezeTime();
        timers = new ProbeTimers(clock.eventLoop());
    }

    void advance(long nanos) {
        now += nanos;
        clock.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        clock.runPendingTasks();
        clock.runScheduledPendingTasks();
    }

    Runnable mark(String what) {
        return () -> ran.add(what + "@" + now / MS);
    }

    @Test
    void eachTimerRunsAtItsTimeInOrderAcrossLanes() {
        timers.after(1000 * MS, mark("a-interval"));
        advance(100 * MS);
        timers.after(1000 * MS, mark("b-interval"));
        timers.after(300 * MS, mark("b-timeout"));
        timers.once(50 * MS, mark("c-once"));
        advance(49 * MS);
        assertThat(ran).isEmpty();
        advance(1 * MS);
        assertThat(ran).containsExactly("c-once@150");
        advance(249 * MS);
        assertThat(ran).containsExactly("c-once@150");
        advance(1 * MS);
        assertThat(ran).containsExactly("c-once@150", "b-timeout@400");
        advance(599 * MS);
        assertThat(ran).containsExactly("c-once@150", "b-timeout@400");
        advance(1 * MS);
        assertThat(ran).containsExactly("c-once@150", "b-timeout@400", "a-interval@1000");
        advance(100 * MS);
        assertThat(ran).containsExactly("c-once@150", "b-timeout@400", "a-interval@1000", "b-interval@1100");
    }

    @Test
    void timersOfALaneDueWithinAMillisecondRunInOneWakeUpAndNoneAfterIt() {
        timers.after(100 * MS, mark("a"));
        advance(MS / 2);
        timers.after(100 * MS, mark("b")); // due 0.5 ms after a
        advance(MS / 2);
        timers.after(100 * MS, mark("c")); // due 1 ms after a
        advance(MS / 2);
        timers.after(100 * MS, mark("d")); // due 1.5 ms after a
        advance(100 * MS - 3 * MS / 2 - 1); // 1 ns before a is due
        assertThat(ran).isEmpty();
        now += 1;
        clock.advanceTimeBy(1, TimeUnit.NANOSECONDS); // a's time: one round of the loop's timers
        clock.runScheduledPendingTasks();
        assertThat(ran).hasSize(3).allMatch(r -> !r.startsWith("d"));
        clock.runScheduledPendingTasks(); // d is not due yet: nothing more until its time
        assertThat(ran).hasSize(3);
        advance(3 * MS / 2 - 1);
        assertThat(ran).hasSize(3);
        advance(1); // d's time
        assertThat(ran).hasSize(4).last().asString().startsWith("d");
    }

    @Test
    void aLaneOfAShortDelayRunsNothingItAddsInTheSameRound() {
        Runnable[] again = new Runnable[1];
        again[0] = () -> {
            ran.add("tick");
            if (ran.size() < 100) { // bounded: were the lane to take it in this round, it would go on forever
                timers.after(MS / 10, again[0]); // 0.1 ms: the slack is half of it
            }
        };
        timers.after(MS / 10, again[0]);
        clock.advanceTimeBy(MS / 10, TimeUnit.NANOSECONDS);
        clock.runScheduledPendingTasks();
        assertThat(ran).containsExactly("tick");
    }

    @Test
    void aCancelledTimerNeverRunsAndLeavesItsLaneAtItsTime() {
        ProbeTimers.Timer t = timers.after(300 * MS, mark("cancelled"));
        timers.after(300 * MS, mark("kept"));
        ProbeTimers.Timer o = timers.once(10 * MS, mark("once"));
        t.cancel();
        o.cancel();
        assertThat(timers.queued()).isEqualTo(2);
        advance(300 * MS);
        assertThat(ran).containsExactly("kept@300");
        assertThat(timers.queued()).isZero();
    }

    @Test
    void aTimerSetByARunningOneInTheSameLaneWaitsItsWholeDelay() {
        Runnable[] again = new Runnable[1];
        again[0] = () -> {
            ran.add("tick@" + now / MS);
            if (ran.size() < 3) {
                timers.after(1000 * MS, again[0]);
            }
        };
        timers.after(1000 * MS, again[0]);
        advance(1000 * MS);
        assertThat(ran).containsExactly("tick@1000");
        advance(999 * MS);
        assertThat(ran).containsExactly("tick@1000");
        advance(1 * MS);
        advance(1000 * MS);
        advance(1000 * MS);
        assertThat(ran).containsExactly("tick@1000", "tick@2000", "tick@3000");
        assertThat(timers.queued()).isZero();
    }

    @Test
    void aLongRoundYieldsToTheLoopAndGoesOnInItsNextRound() {
        for (int i = 0; i < 40; i++) {
            timers.after(10 * MS, () -> {
                ran.add("slow");
                clock.advanceTimeBy(1, TimeUnit.MILLISECONDS); // each task takes 1 ms of the loop's time
            });
        }
        clock.advanceTimeBy(10, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks(); // one round of the loop's timers: 16 tasks, then over the 2 ms slice
        assertThat(ran).hasSize(16);
        clock.runScheduledPendingTasks();
        assertThat(ran).hasSize(32);
        clock.runScheduledPendingTasks();
        assertThat(ran).hasSize(40);
        assertThat(timers.queued()).isZero();
    }

    @Test
    void anErrorFromATaskLeavesTheLaneRunning() {
        timers.after(10 * MS, () -> {
            throw new AssertionError("an Error, not an exception");
        });
        advance(5 * MS);
        timers.after(10 * MS, mark("later")); // the same lane, due at 15 ms
        try {
            advance(5 * MS);
        } catch (AssertionError expected) {
            // the loop's task runner sees it; the lane must still be set for its next timer
        }
        advance(10 * MS);
        assertThat(ran).containsExactly("later@20"); // due at 15, run by the next advance
    }

    @Test
    void aFailingTaskDoesNotStopTheOthersDueWithIt() {
        timers.after(10 * MS, () -> {
            throw new IllegalStateException("boom");
        });
        timers.after(10 * MS, mark("next"));
        advance(10 * MS);
        assertThat(ran).containsExactly("next@10");
    }
}
