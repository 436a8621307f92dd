package io.lvsd.controller.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Marks that an {@code lvsd run} owns this network namespace's IPVS table: a file under the runtime directory, named
 * after the namespace, locked ({@code fcntl} record lock) for as long as the daemon lives and holding its pid. The
 * kernel drops the lock when the process dies, however it dies, so a stale file means nothing.
 *
 * <p>{@code lvsd ipvs restore|flush|timeouts --set} ask {@link #holder} first: a running daemon would undo such a
 * change at its next drift check, or fight it. IPVS tables are per network namespace, so daemons in different
 * namespaces (a test lab, the demo) do not see each other's lock.
 */
public final class InstanceLock implements AutoCloseable {
    /** Where the lock lives without {@code $RUNTIME_DIRECTORY} (systemd's {@code RuntimeDirectory=lvsd}). */
    public static final Path DEFAULT_DIRECTORY = Path.of("/run/lvsd");

    private final FileChannel channel;
    private final FileLock lock;
    private final Path file;

    private InstanceLock(FileChannel channel, FileLock lock, Path file) {
        this.channel = channel;
        this.lock = lock;
        this.file = file;
    }

    /** {@code $RUNTIME_DIRECTORY} (its first entry) when set, else {@link #DEFAULT_DIRECTORY}. */
    public static Path directory(Map<String, String> env) {
        String s = env.get("RUNTIME_DIRECTORY");
        if (s != null && !s.isBlank() && s.split(":")[0].startsWith("/")) {
            return Path.of(s.split(":")[0]);
        }
        return DEFAULT_DIRECTORY;
    }

    /** The lock file of this process's network namespace in {@code dir}. */
    public static Path file(Path dir) {
        return dir.resolve("lvsd-netns-" + netnsId() + ".lock");
    }

    /** The runtime API's default control socket in {@code dir}, named after this process's network namespace. */
    public static Path controlSocket(Path dir) {
        return dir.resolve("lvsd-netns-" + netnsId() + ".sock");
    }

    /** The namespace's inode number, as {@code /proc/self/ns/net} names it ({@code net:[4026531992]}). */
    static String netnsId() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            return link.replaceAll("[^0-9]", "");
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }

    /**
     * Takes the lock and writes our pid into it.
     *
     * @return the lock, or null when another process holds it ({@link #holder} says which)
     */
    public static InstanceLock acquire(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            ch.close();
            return null;
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        ch.force(false);
        return new InstanceLock(ch, l, file);
    }

    /**
     * The pid of the {@code lvsd run} holding {@code file}, or empty when none does (no file, or nobody locks it).
     * The pid is 0 when the holder wrote none yet.
     */
    public static OptionalLong holder(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        try (ch) {
            FileLock probe;
            try {
                probe = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                probe = null; // this very JVM holds it
            }
            if (probe != null) {
                probe.release();
                return OptionalLong.empty();
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
            try {
                return OptionalLong.of(Long.parseLong(text));
            } catch (NumberFormatException e) {
                return OptionalLong.of(0);
            }
        }
    }

    /** No lock at all: for a daemon that could not take one (closing it does nothing). */
    public static InstanceLock none() {
        return new InstanceLock(null, null, null);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        if (lock == null) {
            return;
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the process is going away; the kernel drops the lock with it
        }
    }
}
