package io.lvsd.linux.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a system tool (nft, ip, iptables-save) with a bound on its time, and gives its output or a one-line error
 * that names the command.
 */
public final class Processes {
    private Processes() {
    }

    /** The tool's output (stdout and stderr); an IOException names the command and its exit code. */
    public static String run(String... cmd) throws IOException {
        return run(true, cmd);
    }

    /** The tool's standard output alone (what it says on stderr is dropped), for output that is parsed. */
    public static String stdout(String... cmd) throws IOException {
        return run(false, cmd);
    }

    private static String run(boolean withStderr, String... cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(withStderr)
                    .redirectError(withStderr ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new IOException(cmd[0] + ": cannot run it (" + e.getMessage() + ")");
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getInputStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer in 30 s");
            }
            String text = new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue()
                        + (text.isBlank() ? "" : ": " + text.strip()));
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", cmd) + ": interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException(String.join(" ", cmd) + ": its output could not be read");
        }
    }

    /** {@link #which}, or an IOException saying that {@code tool} ({@code what}: its package) is not installed. */
    public static String require(String tool, String what) throws IOException {
        String path = which(tool);
        if (path == null) {
            throw new IOException(tool + " (" + what + ") is not installed");
        }
        return path;
    }

    /** Whether {@code tool} is on the PATH (or the usual sbin directories). */
    public static String which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String d : path.split(":")) {
            java.nio.file.Path p = java.nio.file.Path.of(d.isEmpty() ? "." : d, tool);
            if (java.nio.file.Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
