package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Lab;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code sched_setscheduler(2)} on the calling thread, for real: the thread's policy, and what a child inherits. */
class RealtimeSchedulingIT {
    private static final LinuxNative N = LinuxNative.get();

    /** Runs {@code body} on a fresh thread, so that the test's own thread is never left at a real-time policy. */
    private static <T> T onThread(java.util.concurrent.Callable<T> body) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(body.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aThreadSetsItsOwnFifoPriorityAndItsChildrenDoNotInheritIt() throws Exception {
        Lab.requireRoot("sets a real-time scheduling policy (CAP_SYS_NICE)");
        String[] seen = onThread(() -> {
            N.scheduleThisThread(LinuxNative.SCHED_FIFO, 1);
            int policy = N.schedulerOfThisThread();
            // The kernel's own view of this thread (its tid is the JVM's native thread), and a child started from it.
            Process child = new ProcessBuilder("sh", "-c", "cat /proc/self/sched | grep -E '^policy'")
                    .redirectErrorStream(true).start();
            String childPolicy = new String(child.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            child.waitFor(10, TimeUnit.SECONDS);
            N.scheduleThisThread(LinuxNative.SCHED_OTHER, 0);
            return new String[] {Integer.toString(policy), childPolicy, Integer.toString(N.schedulerOfThisThread())};
        });
        assertThat(seen[0]).as("SCHED_FIFO").isEqualTo("1");
        assertThat(seen[1]).as("the child reset to SCHED_OTHER (SCHED_RESET_ON_FORK)").matches("policy\\s*:\\s*0");
        assertThat(seen[2]).as("back to SCHED_OTHER").isEqualTo("0");
    }

    @Test
    void aBadPriorityIsRefusedWithTheCallNamed() throws Exception {
        Lab.requireRoot("asks for a real-time scheduling policy");
        Throwable e = onThread(() -> {
            try {
                N.scheduleThisThread(LinuxNative.SCHED_FIFO, 100);
                return null;
            } catch (NativeException x) {
                return x;
            }
        });
        assertThat(e).isInstanceOf(NativeException.class).hasMessageContaining("sched_setscheduler(SCHED_FIFO, 100)")
                .hasMessageContaining("EINVAL");
    }
}
