package io.lvsd.controller.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * POSIX signals for the daemon: SIGHUP reloads, SIGTERM and SIGINT stop gracefully. The JDK's
 * {@code sun.misc.Signal} (module jdk.unsupported) is the supported way to take SIGHUP.
 */
public final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    public static void install(Daemon daemon) {
        handle("HUP", "reload requested", daemon::requestReload);
        handle("TERM", "stop requested", daemon::requestStop);
        handle("INT", "stop requested", daemon::requestStop);
    }

    private static void handle(String name, String what, Runnable action) {
        SignalHandler old = Signal.handle(new Signal(name), s -> {
            log.info("SIG{}: {}", name, what);
            action.run();
        });
        if (old == SignalHandler.SIG_IGN) {
            // The JVM keeps a signal ignored that was ignored when it started (nohup, a shell's '&'); the
            // launcher resets them, so this is lvsd started some other way.
            log.warn("SIG{} was ignored by whatever started lvsd, so it stays ignored: {} by SIG{} is not available",
                    name, what.replace(" requested", ""), name);
        }
    }
}
