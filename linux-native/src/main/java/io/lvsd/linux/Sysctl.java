package io.lvsd.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Kernel parameters under /proc/sys by their dotted name ({@code net.ipv4.vs.expire_nodest_conn}).
 * Errors name the parameter.
 */
public final class Sysctl {
    private final Path root;

    public Sysctl() {
        this(Path.of("/proc/sys"));
    }

    /** For tests: a directory standing in for /proc/sys. */
    public Sysctl(Path root) {
        this.root = root;
    }

    private Path path(String name) {
        if (!name.matches("[a-z0-9_]+(\\.[a-z0-9_-]+)+")) {
            throw new IllegalArgumentException("sysctl: \"" + name + "\" (expected a dotted name like net.ipv4.vs.conntrack)");
        }
        return root.resolve(name.replace('.', '/'));
    }

    /** The value, trimmed. */
    public String read(String name) throws IOException {
        try {
            return Files.readString(path(name), StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            throw new IOException("sysctl " + name + ": no such parameter (is the module loaded?)");
        } catch (IOException e) {
            throw new IOException("sysctl " + name + ": " + e.getMessage());
        }
    }

    public int readInt(String name) throws IOException {
        String v = read(name);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException("sysctl " + name + ": \"" + v + "\" is not an integer");
        }
    }

    /** Writes {@code value}; returns the previous value. */
    public String write(String name, String value) throws IOException {
        String old = read(name);
        try {
            Files.writeString(path(name), value + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IOException("sysctl " + name + " = " + value + ": " + e.getMessage());
        }
        return old;
    }
}
