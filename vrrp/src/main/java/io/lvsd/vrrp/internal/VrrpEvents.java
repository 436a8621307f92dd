package io.lvsd.vrrp.internal;

import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * The SLF4J marker of the VRRP log lines that are events an operator follows (state changes, takeovers, tracking
 * turning over). The director keeps the latest marked lines as its event log ({@code /status}, the page); the journal
 * gets them as any other line. Markers are found by name, so no module depends on another for it.
 */
final class VrrpEvents {
    static final Marker MARKER = MarkerFactory.getMarker("lvsd.event.vrrp");

    private VrrpEvents() {
    }
}
