package io.lvsd.vrrp;

import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.internal.VrrpRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;

/**
 * The VRRP module's entry point: elects a master per virtual router with its peers, holds the
 * virtual addresses while master, and reports through {@link VrrpHooks}. See
 * {@code internal.VrrpRuntime} for the threads.
 */
public final class Vrrp {
    private final VrrpRuntime runtime;

    /**
     * @param scripts       runs track and notify scripts
     * @param notifyTimeout how long a notify script may run before its process group is killed
     */
    public Vrrp(VrrpHooks hooks, MeterRegistry registry, ScriptRunner scripts, Duration notifyTimeout) {
        this.runtime = new VrrpRuntime(hooks, registry, scripts, notifyTimeout);
    }

    /** Opens the sockets and starts every instance. */
    public void start(VrrpConfig config) throws Exception {
        runtime.start(config);
    }

    /**
     * Applies {@code config} to the running instances in place: they keep their state, and only an instance whose
     * identity (interface, VRID, family, version) changed restarts; see {@link ReloadChange}. {@code scripts} and
     * {@code notifyTimeout} are used from the next script run on. Returns what changed, in order.
     */
    public List<ReloadChange> reload(VrrpConfig config, ScriptRunner scripts, Duration notifyTimeout) throws Exception {
        return runtime.reload(config, scripts, notifyTimeout).changes().stream()
                .map(c -> new ReloadChange(c.subject(), c.action(), c.describe())).toList();
    }

    /** Graceful stop: priority-0 adverts, addresses removed, stop scripts run (bounded by {@code wait}). */
    public void stop(Duration wait) {
        runtime.stop(wait);
    }

    public List<InstanceStatus> status() {
        return runtime.status();
    }
}
