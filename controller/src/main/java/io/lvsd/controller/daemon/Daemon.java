package io.lvsd.controller.daemon;

import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.SdNotify;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's lifecycle: start the components in order, reload on request, stop in reverse,
 * and keep systemd informed. Every lifecycle step runs on the single director loop, so a reload
 * never races a stop; a Throwable escaping a task is logged and counted and the loop goes on.
 */
public final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final org.slf4j.Marker EVENT = io.lvsd.controller.daemon.EventLog.marker("daemon");

    private final Path configFile;
    private final List<Component> components;
    private final DaemonMetrics metrics;
    private final SdNotify notify;
    private final Clock clock;
    private final Supplier<LoadResult> loader;
    private final DefaultEventLoop loop = new DefaultEventLoop(new DefaultThreadFactory("lvsd-director"));
    private final AtomicReference<LvsdConfig> current = new AtomicReference<>();
    private final AtomicReference<List<ConfigProblem>> lastReloadErrors = new AtomicReference<>(List.of());
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final List<Component> started = new ArrayList<>();
    private ScheduledFuture<?> watchdog;

    public Daemon(Path configFile, List<Component> components, DaemonMetrics metrics, SdNotify notify, Clock clock) {
        this.configFile = configFile;
        this.components = List.copyOf(components);
        this.metrics = metrics;
        this.notify = notify;
        this.clock = clock;
        this.loader = () -> ConfigLoader.load(configFile);
    }

    /** The configuration in force. */
    public LvsdConfig config() {
        return current.get();
    }

    /** The errors of the last failed reload, empty after a successful one. */
    public List<ConfigProblem> lastReloadErrors() {
        return lastReloadErrors.get();
    }

    /** Starts every component with {@code config}; on failure stops what started and rethrows. */
    public void start(LvsdConfig config) throws Exception {
        Future<?> f = loop.submit(() -> {
            current.set(config);
            for (Component c : components) {
                log.info("starting {}", c.name());
                c.start(config);
                started.add(c);
            }
            metrics.loaded(clock.millis(), false);
            return null;
        });
        try {
            f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            loop.submit(this::stopComponents).get();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
        sendNotify("READY=1\nSTATUS=running, configuration " + configFile + "\nMAINPID=" + ProcessHandle.current().pid());
        notify.watchdogInterval().ifPresent(this::startWatchdog);
        log.info(EVENT, "lvsd started: director {}, configuration {}", config.director().name(), configFile);
    }

    private void startWatchdog(Duration interval) {
        // Pinged from the director loop itself: if that loop wedges, systemd notices.
        long half = Math.max(1, interval.toMillis() / 2);
        watchdog = loop.scheduleAtFixedRate(() -> safely("watchdog", () -> sendNotify("WATCHDOG=1")),
                0, half, TimeUnit.MILLISECONDS);
        log.info("systemd watchdog on: pinging every {} ms", half);
    }

    /** Asks for a reload (SIGHUP); it runs on the director loop. */
    public void requestReload() {
        loop.execute(() -> safely("reload", this::reload));
    }

    /** Asks for a graceful stop (SIGTERM, SIGINT); {@link #awaitStopRequest()} returns. */
    public void requestStop() {
        stopRequested.countDown();
    }

    /** Blocks until a stop is requested. */
    public void awaitStopRequest() throws InterruptedException {
        stopRequested.await();
    }

    /** Runs a reload now and waits for it; for tests and the CLI. */
    public boolean reloadNow() throws Exception {
        return loop.submit(this::reload).get();
    }

    private boolean reload() {
        sendNotify("RELOADING=1\nSTATUS=reloading " + configFile
                + "\nMONOTONIC_USEC=" + TimeUnit.NANOSECONDS.toMicros(System.nanoTime()));
        try {
            log.info("reloading {}", configFile);
            LoadResult r = loader.get();
            for (ConfigProblem w : r.warnings()) {
                log.warn("{}", w.format());
            }
            if (!r.ok()) {
                for (ConfigProblem e : r.errors()) {
                    log.error("{}", e.format());
                }
                log.error(EVENT, "reload failed: {} error(s) in {}; still running the previous configuration",
                        r.errors().size(), configFile);
                lastReloadErrors.set(r.errors());
                metrics.reloadFailed();
                return false;
            }
            LvsdConfig previous = current.get();
            List<Component> done = new ArrayList<>();
            for (Component c : started) {
                try {
                    c.reload(previous, r.config());
                    done.add(c);
                } catch (Exception e) {
                    log.error(EVENT, "reload failed: {} could not apply the new configuration: {}; "
                            + "still running the previous configuration", c.name(), describe(e));
                    rollBack(done, r.config(), previous);
                    lastReloadErrors.set(List.of(new ConfigProblem(configFile.toString(), -1, c.name(), describe(e))));
                    metrics.reloadFailed();
                    return false;
                }
            }
            current.set(r.config());
            lastReloadErrors.set(List.of());
            metrics.loaded(clock.millis(), true);
            log.info(EVENT, "reload done");
            return true;
        } finally {
            sendNotify("READY=1\nSTATUS=running, configuration " + configFile);
        }
    }

    private void rollBack(List<Component> done, LvsdConfig failed, LvsdConfig previous) {
        for (int i = done.size() - 1; i >= 0; i--) {
            Component c = done.get(i);
            try {
                c.reload(failed, previous);
            } catch (Exception e) {
                log.error(EVENT, "{} could not return to the previous configuration: {}", c.name(), describe(e));
                metrics.internalError("director");
            }
        }
    }

    /** Stops every component in reverse order and tells systemd; returns when done. */
    public void stop() {
        sendNotify("STOPPING=1\nSTATUS=stopping");
        log.info(EVENT, "stopping");
        try {
            loop.submit(this::stopComponents).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.error("stop did not finish cleanly: {}", describe(e));
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("stopped");
    }

    private void stopComponents() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            Component c = started.get(i);
            try {
                c.beforeStop();
            } catch (RuntimeException e) {
                log.error("{} failed to prepare its stop: {}", c.name(), describe(e));
                metrics.internalError("director");
            }
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            Component c = started.get(i);
            log.info("stopping {}", c.name());
            try {
                c.stop();
            } catch (RuntimeException e) {
                log.error("{} failed to stop cleanly: {}", c.name(), describe(e));
                metrics.internalError("director");
            }
        }
        started.clear();
    }

    private void safely(String what, Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            log.error("director loop: {} failed: {}", what, describe(t));
            log.debug("director loop: {} failed", what, t);
            metrics.internalError("director");
        }
    }

    private void sendNotify(String state) {
        try {
            notify.notify(state);
        } catch (NativeException e) {
            log.warn("systemd notification failed: {}", e.getMessage());
        }
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
