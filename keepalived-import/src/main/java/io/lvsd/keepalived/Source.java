package io.lvsd.keepalived;

import java.util.Objects;

/**
 * Where a line of keepalived configuration came from.
 *
 * @param file the file as an operator would name it: relative to the main file's directory when it lies
 *             beneath it, else absolute
 * @param line 1-based line number
 */
public record Source(String file, int line) implements Comparable<Source> {
    public Source {
        Objects.requireNonNull(file, "file");
        if (line < 1) {
            throw new IllegalArgumentException("line: " + line + " (expected: >= 1)");
        }
    }

    @Override
    public int compareTo(Source o) {
        int c = file.compareTo(o.file);
        return c != 0 ? c : Integer.compare(line, o.line);
    }

    @Override
    public String toString() {
        return file + ":" + line;
    }
}
