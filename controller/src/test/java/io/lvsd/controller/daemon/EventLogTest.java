package io.lvsd.controller.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MarkerFactory;

class EventLogTest {
    static final Logger log = LoggerFactory.getLogger(EventLogTest.class);
    static final java.time.Clock CLOCK = java.time.Clock.fixed(java.time.Instant.parse("2026-12-02T17:00:00Z"),
            java.time.ZoneOffset.UTC);
    EventLog events;

    @AfterEach
    void uninstall() {
        if (events != null) {
            events.uninstall();
        }
    }

    @Test
    void keepsTheMarkedLinesOnlyWithTheirSourceAndLevel() {
        events = EventLog.install(10, CLOCK);
        log.info("an ordinary line");
        log.warn(EventLog.marker("health"), "health: {} {} DOWN", "web", "10.0.0.1:80");
        // A leaf module names its marker without depending on the controller: found by name.
        log.info(MarkerFactory.getMarker("lvsd.event.vrrp"), "VI_1: BACKUP -> MASTER");
        log.info(MarkerFactory.getMarker("something.else"), "not an event");

        assertThat(events.recent()).extracting(EventLog.Event::source, EventLog.Event::level, EventLog.Event::text)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("health", "WARN", "health: web 10.0.0.1:80 DOWN"),
                        org.assertj.core.groups.Tuple.tuple("vrrp", "INFO", "VI_1: BACKUP -> MASTER"));
        assertThat(events.recent().get(0).at()).isEqualTo("2026-12-02T17:00:00Z");
    }

    @Test
    void keepsEventsBelowTheLoggersLevel() {
        // logback-test.xml sets the root to WARN: an INFO event is not printed, and the event log still has it.
        assertThat(log.isInfoEnabled()).isFalse();
        events = EventLog.install(3, CLOCK);
        log.info(EventLog.marker("vrrp"), "VI_1: MASTER -> BACKUP");
        assertThat(events.recent()).extracting(EventLog.Event::text).containsExactly("VI_1: MASTER -> BACKUP");
    }

    @Test
    void keepsTheLatestOnesUpToItsCapacityOldestFirst() {
        events = EventLog.install(3, CLOCK);
        for (int i = 0; i < 5; i++) {
            log.info(EventLog.marker("daemon"), "event {}", i);
        }
        assertThat(events.recent()).extracting(EventLog.Event::text).containsExactly("event 2", "event 3", "event 4");
    }

    @Test
    void anUninstalledLogHearsNothingMore() {
        events = EventLog.install(3, CLOCK);
        log.info(EventLog.marker("daemon"), "before");
        events.uninstall();
        log.info(EventLog.marker("daemon"), "after");
        assertThat(events.recent()).extracting(EventLog.Event::text).containsExactly("before");
        events = null;
    }
}
