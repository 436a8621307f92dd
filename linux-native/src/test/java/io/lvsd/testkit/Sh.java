package io.lvsd.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command for a test, with its combined output. */
public final class Sh {
    private Sh() {
    }

    /** Exit code and output. */
    public record Result(int rc, String out) {
    }

    /** Runs {@code cmd}; stdin gets {@code input} (may be null). */
    public static Result run(String input, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": timed out");
        }
        return new Result(p.exitValue(), out);
    }

    /** Runs {@code cmd} and returns its output; fails the test on a non-zero exit. */
    public static String ok(String... cmd) throws IOException, InterruptedException {
        Result r = run(null, cmd);
        if (r.rc() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.rc() + ": " + r.out());
        }
        return r.out();
    }

    /** A shell line ({@code sh -c}), failing on a non-zero exit. */
    public static String sh(String line) throws IOException, InterruptedException {
        return ok("sh", "-c", line);
    }
}
