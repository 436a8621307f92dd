package io.lvsd.controller;

import io.lvsd.testkit.Lab;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The built distribution's {@code bin/lvsd} run as a child process, with its output captured. */
final class LvsdProcess implements AutoCloseable {
    private final Process process;
    private final StringBuffer output = new StringBuffer();

    private LvsdProcess(Process process) {
        this.process = process;
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // process gone
            }
        }, "lvsd-output");
        t.setDaemon(true);
        t.start();
    }

    static Path launcher() {
        Path bin = Path.of(System.getProperty("lvsd.dist", "target/lvsd/lvsd"), "bin", "lvsd");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("no distribution at " + bin + ": run mvn package first");
        }
        return bin;
    }

    static LvsdProcess start(Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(concat(launcher().toString(), args)).redirectErrorStream(true);
        pb.environment().remove("NOTIFY_SOCKET");
        stateNextToConfig(pb, args);
        pb.environment().putAll(env);
        return new LvsdProcess(pb.start());
    }

    /**
     * Every director a test runs keeps its state (the services it owns) next to its configuration file, {@code
     * FILE.state/}: never in the host's /var/lib/lvsd, and shared by a restart of the same director.
     */
    private static void stateNextToConfig(ProcessBuilder pb, String... args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("-f")) {
                pb.environment().put("STATE_DIRECTORY", Path.of(args[i + 1]).toAbsolutePath() + ".state");
            }
        }
    }

    /** Runs the launcher inside network namespace {@code ns}. */
    static LvsdProcess startIn(String ns, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns, launcher().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("NOTIFY_SOCKET");
        stateNextToConfig(pb, args);
        pb.environment().putAll(env);
        return new LvsdProcess(pb.start());
    }

    private static List<String> concat(String first, String... rest) {
        List<String> l = new java.util.ArrayList<>();
        l.add(first);
        l.addAll(List.of(rest));
        return l;
    }

    /** Closes the process's standard input (a command reading it sees the end). */
    void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    long pid() {
        return process.pid();
    }

    String output() {
        return output.toString();
    }

    boolean alive() {
        return process.isAlive();
    }

    void signal(String name) throws Exception {
        Lab.requireCommand("kill", "procps");
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** Waits for exit; returns the exit code, or -1 on timeout. */
    int waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
