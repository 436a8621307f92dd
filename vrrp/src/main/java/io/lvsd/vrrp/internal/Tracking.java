package io.lvsd.vrrp.internal;

import io.lvsd.linux.RiseFall;
import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.TrackScriptConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What VRRP instances track besides their interfaces: track scripts, run on their own schedules and counted
 * through {@link RiseFall}, and tracked files, polled. It says what tracking contributes to an instance's
 * effective priority ({@link #tracked}) and, when a script's result or a file's value changes, which instances
 * to evaluate again. Links stay the runtime's: they come with its rtnetlink snapshot and events.
 *
 * <p>Loop-confined: every method runs on the VRRP loop, and script results and file reads come back through it.
 */
final class Tracking {
    private static final Logger log = LoggerFactory.getLogger("io.lvsd.vrrp");
    /** How often tracked files are read. */
    static final long FILE_POLL_NANOS = 500_000_000L;

    private final VrrpExecutors ex;
    private final MeterRegistry registry;
    /** The runtime's current script runner: a reload may replace it, and scripts take the new one at their next run. */
    private final Supplier<ScriptRunner> runner;
    /** The running instances' configurations, for the files they track. */
    private final Supplier<List<VrrpInstanceConfig>> instances;
    /** Posts work to the loop, guarded. */
    private final Consumer<Runnable> onLoop;
    /** Runs work here and now, guarded (for the schedules, which run on the loop already). */
    private final Consumer<Runnable> guarded;
    /** Evaluates again every instance the predicate picks. */
    private final Consumer<Predicate<VrrpInstanceConfig>> changed;

    private final Map<String, Script> scripts = new LinkedHashMap<>();
    private final Map<String, Long> fileValues = new HashMap<>();
    private Future<?> filePoll;

    Tracking(VrrpExecutors ex, MeterRegistry registry, Supplier<ScriptRunner> runner,
             Supplier<List<VrrpInstanceConfig>> instances, Consumer<Runnable> onLoop, Consumer<Runnable> guarded,
             Consumer<Predicate<VrrpInstanceConfig>> changed) {
        this.ex = ex;
        this.registry = registry;
        this.runner = runner;
        this.instances = instances;
        this.onLoop = onLoop;
        this.guarded = guarded;
        this.changed = changed;
    }

    /** Starts polling tracked files. */
    void start() {
        filePoll = ex.scheduleAtFixedRate(() -> guarded.accept(this::pollFiles), FILE_POLL_NANOS, FILE_POLL_NANOS);
    }

    /** Stops every schedule. */
    void stop() {
        if (filePoll != null) {
            filePoll.cancel(false);
        }
        scripts.values().forEach(Script::cancel);
    }

    /**
     * Track scripts after a reload to {@code next}: an unchanged script keeps its schedule and rise/fall state; a
     * changed one restarts; a removed one stops. Returns the scripts whose state may now differ.
     */
    Set<String> reload(ReloadPlan plan, VrrpConfig next) {
        Set<String> out = new HashSet<>();
        for (ReloadPlan.Change c : plan.changes()) {
            if (c instanceof ReloadPlan.TrackScriptRemoved || c instanceof ReloadPlan.TrackScriptChanged) {
                Script s = scripts.remove(c.subject());
                if (s != null) {
                    s.cancel();
                }
                out.add(c.subject());
            }
            if (c instanceof ReloadPlan.TrackScriptAdded || c instanceof ReloadPlan.TrackScriptChanged) {
                start(next.trackScripts().get(c.subject()));
                out.add(c.subject());
            }
        }
        return out;
    }

    /** What the scripts and files {@code cfg} tracks contribute to its effective priority, in configuration order. */
    List<EffectivePriority.Tracked> tracked(VrrpInstanceConfig cfg) {
        List<EffectivePriority.Tracked> t = new ArrayList<>();
        for (VrrpInstanceConfig.TrackedScript ts : cfg.track().scripts()) {
            Script s = scripts.get(ts.name());
            int w = ts.weight() != null ? ts.weight() : s == null ? 0 : s.cfg.weight();
            t.add(new EffectivePriority.Status("script " + ts.name(), w, s == null || s.result.up()));
        }
        for (VrrpInstanceConfig.TrackedFile f : cfg.track().files()) {
            t.add(new EffectivePriority.FileValue("file " + f.path(), f.weight(),
                    fileValues.getOrDefault(f.path().toString(), 0L)));
        }
        return t;
    }

    // ---- track scripts

    /** A track script's schedule and its rise/fall state. */
    private final class Script {
        final TrackScriptConfig cfg;
        final Counter ok;
        final Counter failed;
        /** Succeeding or failing; a script counts as succeeding until {@code fall} failures in a row. */
        final RiseFall result;
        boolean running;
        Future<?> timer;

        Script(TrackScriptConfig cfg) {
            this.cfg = cfg;
            result = new RiseFall(true, cfg.rise(), cfg.fall());
            ok = Counter.builder("lvsd.vrrp.track.script.runs").tag("script", cfg.name()).tag("result", "success")
                    .description("Track script runs by result").register(registry);
            failed = Counter.builder("lvsd.vrrp.track.script.runs").tag("script", cfg.name()).tag("result", "failure")
                    .description("Track script runs by result").register(registry);
        }

        void cancel() {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    private void start(TrackScriptConfig t) {
        Script s = new Script(t);
        scripts.put(t.name(), s);
        s.timer = ex.scheduleAtFixedRate(() -> guarded.accept(() -> run(s)), 0, t.interval().toNanos());
    }

    private void run(Script s) {
        if (s.running || scripts.get(s.cfg.name()) != s) {
            return; // still running from last time: never pile up
        }
        s.running = true;
        runner.get().run(s.cfg.command(), List.of(), s.cfg.timeout()).whenComplete((r, e) -> onLoop.accept(() -> {
            s.running = false;
            boolean success = e == null && r.ok();
            (success ? s.ok : s.failed).increment();
            if (s.result.record(success)) {
                log.info(VrrpEvents.MARKER, "track script {} is now {} ({})", s.cfg.name(),
                        s.result.up() ? "succeeding" : "failing", e != null ? e.toString() : r.describe());
                changed.accept(c -> c.track().scripts().stream().anyMatch(t -> t.name().equals(s.cfg.name())));
            }
        }));
    }

    // ---- tracked files

    private void pollFiles() {
        List<String> paths = new ArrayList<>();
        for (VrrpInstanceConfig c : instances.get()) {
            c.track().files().forEach(f -> paths.add(f.path().toString()));
        }
        if (paths.isEmpty()) {
            return;
        }
        ex.executeIo(() -> {
            Map<String, Long> values = new HashMap<>();
            for (String p : paths) {
                values.put(p, readFileValue(p));
            }
            onLoop.accept(() -> {
                boolean any = false;
                for (Map.Entry<String, Long> e : values.entrySet()) {
                    Long old = fileValues.put(e.getKey(), e.getValue());
                    if (!Objects.equals(old, e.getValue()) && !(old == null && e.getValue() == 0)) {
                        log.info("tracked file {} now holds {}", e.getKey(), e.getValue());
                        any = true;
                    }
                }
                if (any) {
                    changed.accept(c -> !c.track().files().isEmpty());
                }
            });
        });
    }

    /** keepalived's rule: the first integer in the file; missing, empty or unreadable is 0. */
    static long readFileValue(String path) {
        try {
            String s = Files.readString(java.nio.file.Path.of(path)).trim();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[-+]?\\d{1,18}").matcher(s);
            return m.find() ? Long.parseLong(m.group()) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
