package io.lvsd.controller.config;

/**
 * One error or warning in a configuration, located by file and line.
 *
 * @param file    the file as the operator named it, or null when unknown
 * @param line    1-based, or -1 when unknown
 * @param path    the key, e.g. {@code vrrp.instances.VI_1.priority}; empty for syntax errors
 * @param message what is wrong and what was expected
 */
public record ConfigProblem(String file, int line, String path, String message) {
    /** {@code lvsd.conf:14: vrrp.instances.VI_1.priority: 300 (expected 1-255)}. */
    public String format() {
        StringBuilder b = new StringBuilder(file == null ? "<config>" : file);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (!path.isEmpty()) {
            b.append(path).append(": ");
        }
        return b.append(message).toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
