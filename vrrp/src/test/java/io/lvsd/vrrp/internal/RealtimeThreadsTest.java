package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.NativeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RealtimeThreadsTest {
    private final List<Integer> calls = new ArrayList<>();
    private boolean refuse;
    private final List<Integer> jvm = new ArrayList<>();
    private final RealtimeThreads rt = new RealtimeThreads(new RealtimeThreads.Scheduler() {
        @Override
        public void schedule(int p) throws NativeException {
            calls.add(p);
            refused(p);
        }

        @Override
        public int scheduleJvm(int p) throws NativeException {
            jvm.add(p);
            refused(p);
            return 1;
        }
    });

    private void refused(int p) throws NativeException {
        if (refuse && p > 0) {
            throw new NativeException("sched_setscheduler(SCHED_FIFO, " + p + ")", 1, "EPERM",
                    "Operation not permitted");
        }
    }

    @Test
    void aThreadTakesTheWantedPriorityOnceAndIsCounted() {
        rt.apply();
        assertThat(calls).isEmpty(); // 0 wanted, 0 there: no system call
        rt.want(10);
        rt.want(10);
        assertThat(jvm).as("the JVM's VM Thread, once per change").containsExactly(10);
        rt.apply();
        rt.apply();
        assertThat(calls).containsExactly(10);
        assertThat(rt.threads()).as("this thread and the VM Thread").isEqualTo(2);
        rt.want(20);
        rt.apply();
        assertThat(calls).containsExactly(10, 20);
        assertThat(rt.threads()).isEqualTo(2); // the same threads, at another priority
        rt.want(0);
        rt.apply();
        assertThat(calls).containsExactly(10, 20, 0);
        assertThat(jvm).containsExactly(10, 20, 0);
        assertThat(rt.threads()).isZero();
    }

    @Test
    void eachThreadAppliesItForItself() throws Exception {
        rt.want(5);
        rt.apply();
        Thread other = new Thread(rt::apply);
        other.start();
        other.join();
        assertThat(calls).containsExactly(5, 5);
        assertThat(rt.threads()).isEqualTo(3);
    }

    @Test
    void aRefusalLeavesTheThreadAtTheOrdinaryPolicyAndIsNotRetriedAtEveryPacket() {
        refuse = true;
        rt.want(10);
        rt.apply();
        rt.apply();
        assertThat(calls).containsExactly(10);
        assertThat(rt.threads()).isZero();
        rt.want(0); // back to the ordinary policy: allowed, and not counted down below zero
        rt.apply();
        assertThat(rt.threads()).isZero();
        refuse = false;
        rt.want(10); // a later change tries again
        rt.apply();
        assertThat(rt.threads()).isEqualTo(2);
    }
}
