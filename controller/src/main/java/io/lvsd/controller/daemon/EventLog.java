package io.lvsd.controller.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;
import org.slf4j.helpers.MessageFormatter;

/**
 * The director's event log: the latest log lines that carry an {@code lvsd.event.*} marker (VRRP state changes and
 * takeovers, health changes, reloads, drift corrections, sync daemon changes, the fail-back gate), bounded, for
 * {@code /status} and the page. Each event is a log line, so the journal has it too. It hooks into logback as a turbo
 * filter, which sees a log call before any level check: an operator who turns the log down to WARN still has every
 * event here. It never filters anything out.
 */
public final class EventLog extends TurboFilter {
    /** One event: when, which part of lvsd (the marker's last part), the level and the line. */
    public record Event(String at, String source, String level, String text) {
    }

    /** Marker names of events start with this; the rest names the source. */
    public static final String PREFIX = "lvsd.event.";

    /** The marker of the events of {@code source} ("health", "daemon", ...). */
    public static Marker marker(String source) {
        return MarkerFactory.getMarker(PREFIX + source);
    }

    private final int capacity;
    private final Clock clock;
    private final ArrayDeque<Event> ring;

    public EventLog(int capacity, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.clock = clock;
        this.ring = new ArrayDeque<>(capacity);
        setName("lvsd-events");
    }

    /** Adds a started event log to logback's context. */
    public static EventLog install(int capacity, Clock clock) {
        EventLog l = new EventLog(capacity, clock);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        l.setContext(ctx);
        l.start();
        ctx.addTurboFilter(l);
        return l;
    }

    /** Takes it out of logback's context again. */
    public void uninstall() {
        ((LoggerContext) getContext()).getTurboFilterList().remove(this);
        stop();
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (marker != null && format != null && marker.getName().startsWith(PREFIX)) {
            add(new Event(clock.instant().toString(), marker.getName().substring(PREFIX.length()), level.toString(),
                    MessageFormatter.basicArrayFormat(format, params)));
        }
        return FilterReply.NEUTRAL;
    }

    private synchronized void add(Event e) {
        if (ring.size() == capacity) {
            ring.removeFirst();
        }
        ring.addLast(e);
    }

    /** The events kept, oldest first: an immutable copy. */
    public synchronized List<Event> recent() {
        return List.copyOf(ring);
    }
}
