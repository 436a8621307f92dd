package io.lvsd.keepalived;

import java.util.Objects;

/**
 * Something the importer tells the operator about one place in the keepalived configuration.
 *
 * @param at      the place
 * @param kind    how much it matters
 * @param message one sentence
 */
public record Diagnostic(Source at, Kind kind, String message) implements Comparable<Diagnostic> {
    /** How much a diagnostic matters. */
    public enum Kind {
        /** The input cannot be read: nothing is written. */
        ERROR,
        /** Something was not converted: the output carries a {@code # TODO} at its place. */
        TODO,
        /** Converted, but the behaviour differs or keepalived would have complained: read it. */
        WARNING
    }

    public Diagnostic {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /** {@code file:line: todo: message}, the form an operator's editor jumps to. */
    public String format() {
        return at + ": " + kind.name().toLowerCase(java.util.Locale.ROOT) + ": " + message;
    }

    @Override
    public int compareTo(Diagnostic o) {
        int c = at.compareTo(o.at);
        return c != 0 ? c : message.compareTo(o.message);
    }
}
