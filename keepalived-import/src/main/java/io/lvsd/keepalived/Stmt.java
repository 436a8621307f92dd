package io.lvsd.keepalived;

import java.util.List;
import java.util.Objects;

/**
 * One keepalived statement: a keyword, the words after it on its line, and the block that follows it,
 * if any ({@code vrrp_instance VI_1 { ... }}).
 *
 * @param keyword the first word
 * @param args    the other words of the line, quotes removed
 * @param block   the statements inside the braces, or {@code null} when the statement has no block
 * @param at      where the keyword is
 * @param end     where the block's closing brace is, or {@code at} when there is no block
 */
public record Stmt(String keyword, List<String> args, List<Stmt> block, Source at, Source end) {
    public Stmt {
        Objects.requireNonNull(keyword, "keyword");
        Objects.requireNonNull(at, "at");
        args = List.copyOf(args);
        block = block == null ? null : List.copyOf(block);
        end = end == null ? at : end;
    }

    /** A statement without a recorded end. */
    public Stmt(String keyword, List<String> args, List<Stmt> block, Source at) {
        this(keyword, args, block, at, at);
    }

    /** Does this statement, with its block, span {@code s}? */
    public boolean spans(Source s) {
        return s.file().equals(at.file()) && s.line() >= at.line() && s.line() <= end.line()
                || children().stream().anyMatch(c -> c.spans(s));
    }

    /** The argument at {@code i}, or {@code null}. */
    public String arg(int i) {
        return i < args.size() ? args.get(i) : null;
    }

    /** Keyword and arguments as the line read, for comments and messages. */
    public String text() {
        return args.isEmpty() ? keyword : keyword + " " + String.join(" ", args);
    }

    /** The block, or an empty list. */
    public List<Stmt> children() {
        return block == null ? List.of() : block;
    }
}
