package io.lvsd.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of integration tests that need root, network namespaces or Debian packages.
 * A missing precondition skips the test with a loud reason; with {@code LVSD_REQUIRE_LAB=1}
 * (set by .ci/run) it fails the test instead, so CI can never go green on skipped checks.
 */
public final class Lab {
    private Lab() {
    }

    /** True when missing preconditions must fail rather than skip. */
    public static boolean required() {
        return "1".equals(System.getenv("LVSD_REQUIRE_LAB"));
    }

    /** Skips (or fails, under LVSD_REQUIRE_LAB=1) unless running as root. */
    public static void requireRoot(String why) {
        if (!isRoot()) {
            unavailable("needs root: " + why);
        }
    }

    /** True when the effective user is root. */
    public static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && "0".equals(out);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Makes sure {@code command} is on the PATH, installing {@code debianPackage} with apt-get
     * when running as root; otherwise skips or fails.
     */
    public static void requireCommand(String command, String debianPackage) {
        if (onPath(command)) {
            return;
        }
        if (isRoot()) {
            run("apt-get", "update", "-qq");
            run("apt-get", "install", "-y", "-qq", debianPackage);
        }
        if (!onPath(command)) {
            unavailable("needs the command '" + command + "' (Debian package " + debianPackage + ")");
        }
    }

    /** True when {@code command} is an executable on the PATH. */
    public static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static void run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // reported by the caller's check
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Skips the calling test with a loud reason, or fails it under LVSD_REQUIRE_LAB=1. */
    public static void unavailable(String reason) {
        String msg = "LAB PRECONDITION MISSING: " + reason;
        System.err.println("*** " + msg + (required() ? " (LVSD_REQUIRE_LAB=1: failing)" : " (skipping)"));
        if (required()) {
            fail(msg);
        }
        Assumptions.abort(msg);
    }
}
