package io.lvsd.controller.daemon;

import io.lvsd.controller.config.LvsdConfig;

/**
 * A part of the daemon with a lifecycle. The daemon starts components in list order, stops
 * them in reverse and hands each a new configuration on reload. All calls come from the
 * director loop, one at a time.
 */
public interface Component {
    /** A short name for logs, e.g. {@code admin}. */
    String name();

    /** Starts with the first configuration; a failure aborts startup. */
    void start(LvsdConfig config) throws Exception;

    /**
     * Applies a new configuration. Throwing means it was not applied: the daemon then hands
     * the old configuration back to the components that had already taken the new one.
     */
    void reload(LvsdConfig previous, LvsdConfig next) throws Exception;

    /** Stops; must not throw. */
    void stop();
}
