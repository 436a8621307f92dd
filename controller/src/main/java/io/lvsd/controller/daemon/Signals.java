package io.lvsd.controller.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * POSIX signals for the daemon: SIGHUP reloads, SIGTERM and SIGINT stop gracefully. The JDK's
 * {@code sun.misc.Signal} (module jdk.unsupported) is the supported way to take SIGHUP.
 */
public final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    public static void install(Daemon daemon) {
        Signal.handle(new Signal("HUP"), s -> {
            log.info("SIGHUP: reload requested");
            daemon.requestReload();
        });
        Signal.handle(new Signal("TERM"), s -> {
            log.info("SIGTERM: stop requested");
            daemon.requestStop();
        });
        Signal.handle(new Signal("INT"), s -> {
            log.info("SIGINT: stop requested");
            daemon.requestStop();
        });
    }
}
