package io.lvsd.linux.proc;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs operator scripts (track, notify, check) off the caller's thread: at most
 * {@code maxConcurrent} at once, each as {@code user} and in a session and process group of its
 * own ({@code setsid}), so that a timeout kills the script and everything it started (SIGKILL to
 * the group). Output is discarded, like keepalived's; the exit code is the result.
 *
 * <p>Every script starts through {@code setpriv} with no capabilities: its inheritable and ambient sets are cleared
 * ({@code --inh-caps=-all --ambient-caps=-all}), so that a non-root lvsd given ambient capabilities (systemd's
 * {@code AmbientCapabilities=}) does not hand them on, and a switch from root to {@code user} ({@code --reuid},
 * {@code --regid}, {@code --init-groups}; CAP_SETUID and CAP_SETGID) clears the rest. A script that
 * {@code user} is root keeps root's capabilities: that is the operator's explicit choice.
 */
public final class ScriptRunner implements AutoCloseable {
    /** At most this much of a script's output is kept, when it is kept at all. */
    public static final int OUTPUT_LIMIT = 4096;

    /**
     * How a run ended: {@code exitCode} -1 when it timed out or could not start ({@code error}); {@code output}
     * is the start of what it wrote (stdout and stderr, at most {@link #OUTPUT_LIMIT} bytes) when asked for,
     * otherwise null.
     */
    public record Result(int exitCode, boolean timedOut, Duration took, String error, String output) {
        public Result(int exitCode, boolean timedOut, Duration took, String error) {
            this(exitCode, timedOut, took, error, null);
        }

        public boolean ok() {
            return exitCode == 0;
        }

        /** For logs: {@code exit 1}, {@code timed out after 2s}, or the error. */
        public String describe() {
            return error != null ? error : timedOut ? "timed out after " + took.toMillis() + " ms, killed"
                    : "exit " + exitCode;
        }
    }

    private final List<String> prefix;
    private final String setupError;
    private final ExecutorService pool;

    /**
     * @param user          the user scripts run as ({@code scripts.user})
     * @param maxConcurrent scripts running at once at most
     */
    public ScriptRunner(String user, int maxConcurrent, String threadName) {
        List<String> p = new ArrayList<>(List.of("setsid", "setpriv", "--inh-caps=-all", "--ambient-caps=-all"));
        String err = null;
        String[] pw = passwd(user);
        if (pw == null) {
            err = "scripts.user " + user + " does not exist (create it, e.g. useradd --system --no-create-home "
                    + user + ", or set scripts.user)";
        } else if (!pw[2].equals(effectiveUid())) {
            p.addAll(List.of("--reuid=" + pw[2], "--regid=" + pw[3], "--init-groups"));
        }
        p.add("--");
        this.prefix = List.copyOf(p);
        this.setupError = err;
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor tpe = new ThreadPoolExecutor(maxConcurrent, maxConcurrent, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, threadName + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        tpe.allowCoreThreadTimeOut(true);
        this.pool = tpe;
    }

    /** Null when scripts can run; otherwise why not (e.g. the user does not exist). */
    public String setupError() {
        return setupError;
    }

    /** Runs {@code command} with {@code extraArgs} appended; completes when it ends or is killed. */
    public CompletableFuture<Result> run(Command command, List<String> extraArgs, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> runNow(command, extraArgs, timeout, false), pool);
    }

    /**
     * As {@link #run}, keeping the start of the script's output in {@link Result#output()} (check scripts: the
     * log says what the script said). The output goes to an unlinked-after-use file, not a pipe, so a script
     * whose background child keeps the output open cannot stall the run.
     */
    public CompletableFuture<Result> runCapturing(Command command, List<String> extraArgs, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> runNow(command, extraArgs, timeout, true), pool);
    }

    private Result runNow(Command command, List<String> extraArgs, Duration timeout, boolean capture) {
        long start = System.nanoTime();
        if (setupError != null) {
            return new Result(-1, false, Duration.ZERO, setupError);
        }
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(command.argv());
        argv.addAll(extraArgs);
        Path out = null;
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (capture) {
                out = Files.createTempFile("lvsd-script-", ".out");
                pb.redirectErrorStream(true).redirectOutput(out.toFile());
            } else {
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            }
            p = pb.start();
        } catch (IOException e) {
            deleteQuietly(out);
            return new Result(-1, false, Duration.ofNanos(System.nanoTime() - start),
                    "cannot start " + command + ": " + e.getMessage());
        }
        try {
            if (p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                int code = p.exitValue();
                // setsid/setpriv report their own failures as 1 with a message we discard; a
                // missing program is exit 127 from nothing: say so.
                return new Result(code, false, Duration.ofNanos(System.nanoTime() - start),
                        code == 127 || code == 126 ? "cannot run " + command + " (exit " + code + ")" : null, head(out));
            }
            killGroup(p);
            return new Result(-1, true, Duration.ofNanos(System.nanoTime() - start), null, head(out));
        } catch (InterruptedException e) {
            killGroup(p);
            Thread.currentThread().interrupt();
            return new Result(-1, true, Duration.ofNanos(System.nanoTime() - start), "interrupted", head(out));
        } finally {
            deleteQuietly(out);
        }
    }

    /** The first {@link #OUTPUT_LIMIT} bytes of {@code file} as text, "[...]" marking a cut; null without a file. */
    private static String head(Path file) {
        if (file == null) {
            return null;
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(OUTPUT_LIMIT + 1);
            int n = Math.min(b.length, OUTPUT_LIMIT);
            String text = new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8).strip();
            return b.length > OUTPUT_LIMIT ? text + " [...]" : text;
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temp file left behind
            }
        }
    }

    /** setsid exec'd the script in place (Java's child is no group leader), so pid = pgid. */
    private static void killGroup(Process p) {
        try {
            LinuxNative.get().kill(-(int) p.pid(), LinuxNative.SIGKILL);
        } catch (NativeException e) {
            p.destroyForcibly();
        }
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** This process's effective uid, as text, or null when unknown. */
    private static String effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2];
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** The /etc/passwd fields of {@code user}, or null. */
    private static String[] passwd(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[0].equals(user)) {
                    return f;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /**
     * Takes no new scripts; those already running or queued finish, each within its own timeout (a reload that
     * changed the script settings retires the old runner this way).
     */
    public void closeWhenIdle() {
        pool.shutdown();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
