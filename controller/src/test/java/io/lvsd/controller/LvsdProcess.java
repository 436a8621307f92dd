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
        forTheLab(pb);
        return new LvsdProcess(pb.start());
    }

    /**
     * In the lab VM, where a JVM starts 20-50 times slower than here and a director's start under traffic took over
     * four minutes before its first log line, every lvsd maps a class-data archive of a running director (AppCDS:
     * its classes parsed and verified once). Made once per VM by {@link #labArchive}; without one, lvsd runs as is.
     * And unless the test sets {@code LVSD_JAVA_OPTS}, it runs C1 alone ({@link #LAB_JIT}).
     */
    private static void forTheLab(ProcessBuilder pb) {
        if (io.lvsd.testkit.KernelLab.inVm()) {
            pb.environment().putIfAbsent("LVSD_JAVA_OPTS", LAB_JIT);
        }
        Path jsa = labArchive();
        if (jsa != null) {
            String opts = pb.environment().getOrDefault("LVSD_JAVA_OPTS", "");
            pb.environment().put("LVSD_JAVA_OPTS", (opts + " -XX:SharedArchiveFile=" + jsa + QUIET_CDS).trim());
        }
    }

    /**
     * The lab's JIT: C1 alone starts a director in half the time in the emulated guest, and no C2 compiler thread
     * shares the one vCPU the lab gives each JVM (lab/vm.sh) with the director's own threads.
     */
    private static final String LAB_JIT = "-XX:TieredStopAtLevel=1";

    /** A stale or mismatched archive is skipped by the JVM; these keep its warning out of lvsd's output. */
    private static final String QUIET_CDS = " -Xlog:cds=off -Xlog:cds+dynamic=off";
    private static final Path LAB_ARCHIVE = Path.of("/tmp/lvsd-lab.jsa");
    private static Boolean labArchiveTried;

    /**
     * The lab VM's class-data archive, made on first use: a director with VRRP, an IPVS service, a TCP check, a
     * sync daemon and the admin endpoint starts in a scratch namespace and stops, and the JVM writes the classes it
     * loaded at exit ({@code -XX:ArchiveClassesAtExit}). Null outside the VM or when that failed (said loudly: the
     * tests then run without it, only slower).
     */
    static synchronized Path labArchive() {
        if (!io.lvsd.testkit.KernelLab.inVm()) {
            return null;
        }
        if (labArchiveTried == null) {
            labArchiveTried = Boolean.TRUE;
            long t0 = System.nanoTime();
            try {
                makeLabArchive();
                System.out.printf("lab: class-data archive %s made in %.1f s%n", LAB_ARCHIVE,
                        (System.nanoTime() - t0) / 1e9);
            } catch (Exception e) {
                System.out.println("lab: NO class-data archive, lvsd starts without one (slower): " + e);
            }
        }
        return Files.isRegularFile(LAB_ARCHIVE) ? LAB_ARCHIVE : null;
    }

    private static void makeLabArchive() throws Exception {
        String ns = "lvsd-cds";
        io.lvsd.testkit.Sh.run(null, "ip", "netns", "del", ns);
        io.lvsd.testkit.Sh.ok("ip", "netns", "add", ns);
        try {
            io.lvsd.testkit.Sh.ok("ip", "-n", ns, "link", "set", "lo", "up");
            io.lvsd.testkit.Sh.ok("ip", "-n", ns, "link", "add", "eth0", "type", "dummy");
            io.lvsd.testkit.Sh.ok("ip", "-n", ns, "addr", "add", "10.254.0.1/24", "dev", "eth0");
            io.lvsd.testkit.Sh.ok("ip", "-n", ns, "link", "set", "eth0", "up");
            Path dir = Files.createTempDirectory("lvsd-cds");
            Path conf = dir.resolve("cds.conf");
            Files.writeString(conf, """
                    director.name = cds
                    vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 99, priority = 100,
                      advert-interval = 1s, virtual-addresses = ["10.254.0.100/24"] }
                    virtual-servers = [ { name = web, address = "10.254.0.100:80", scheduler = rr, forwarding = nat,
                      check { type = tcp, interval = 1s }, real-servers = [ { address = "10.254.0.2:80" } ] } ]
                    sync-daemon { interface = eth0, sync-id = 99, follow = VI_1 }
                    """);
            List<String> cmd = List.of("ip", "netns", "exec", ns, launcher().toString(), "run", "-f", conf.toString());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().remove("NOTIFY_SOCKET");
            pb.environment().put("STATE_DIRECTORY", dir.resolve("state").toString());
            pb.environment().put("LVSD_JAVA_OPTS", LAB_JIT + " -XX:ArchiveClassesAtExit=" + LAB_ARCHIVE
                    + QUIET_CDS);
            LvsdProcess p = new LvsdProcess(pb.start());
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(6))
                        .pollInterval(java.time.Duration.ofMillis(250))
                        .until(() -> p.output().contains("lvsd started") || !p.alive());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // said below, with the output
            }
            if (!p.output().contains("lvsd started")) {
                p.close();
                throw new IllegalStateException("the archive's director did not start: " + p.output());
            }
            p.signal("TERM");
            if (p.waitFor(300) != 0 || !Files.isRegularFile(LAB_ARCHIVE)) {
                p.close();
                Files.deleteIfExists(LAB_ARCHIVE);
                throw new IllegalStateException("the archive's director did not stop and write it: " + p.output());
            }
        } finally {
            io.lvsd.testkit.Sh.run(null, "ip", "netns", "del", ns);
        }
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

    /** The capabilities the distribution's systemd unit grants ({@code CapabilityBoundingSet=}), by name. */
    static List<String> unitCapabilities() throws IOException {
        Path unit = launcher().getParent().getParent().resolve("systemd/lvsd.service");
        for (String line : Files.readAllLines(unit)) {
            if (line.startsWith("CapabilityBoundingSet=")) {
                return List.of(line.substring(line.indexOf('=') + 1).trim().split("\\s+"));
            }
        }
        throw new IllegalStateException(unit + " has no CapabilityBoundingSet=");
    }

    /**
     * A wrapper that runs lvsd as the unit does: as root, with the unit's capabilities as the bounding set (so they
     * are all it has), no inheritable ones and no new privileges.
     */
    static List<String> asTheUnit() throws IOException {
        return List.of("setpriv", "--bounding-set=-all," + setprivList(unitCapabilities()), "--inh-caps=-all",
                "--no-new-privs", "--");
    }

    /** The uid and gid of {@code nobody}, as which non-root directors run. */
    static final String NOBODY = "65534";

    /**
     * A wrapper that runs lvsd as a non-root unit would (systemd's {@code User=} with {@code AmbientCapabilities=}):
     * as {@code nobody}, with the unit's capabilities as its ambient, inheritable and bounding sets and no others.
     */
    static List<String> asNobody() throws IOException {
        String list = setprivList(unitCapabilities());
        return List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "--inh-caps=-all," + list, "--ambient-caps=-all," + list, "--bounding-set=-all," + list,
                "--no-new-privs", "--");
    }

    /**
     * The launcher {@code nobody} can run: this distribution's, or, when {@code nobody} cannot read it (a checkout
     * under a private directory), a world-readable copy of it under {@code scratch}.
     */
    static Path launcherForNobody(Path scratch) throws IOException, InterruptedException {
        Path launcher = launcher().toAbsolutePath();
        if (io.lvsd.testkit.Sh.run(null, "setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "test", "-x", launcher.toString()).rc() == 0) {
            return launcher;
        }
        Path copy = scratch.resolve("dist");
        if (!Files.isDirectory(copy)) {
            io.lvsd.testkit.Sh.ok("cp", "-r", launcher.getParent().getParent().toString(), copy.toString());
            io.lvsd.testkit.Sh.ok("chmod", "-R", "a+rX", copy.toString());
        }
        return copy.resolve("bin/lvsd");
    }

    /** {@code setpriv}'s spelling of capability names: +net_admin,+net_raw,... */
    static String setprivList(List<String> caps) {
        return String.join(",", caps.stream().map(c -> "+" + c.substring(4).toLowerCase(java.util.Locale.ROOT))
                .toList());
    }

    /** Runs the launcher inside network namespace {@code ns}. */
    static LvsdProcess startIn(String ns, Map<String, String> env, String... args) throws IOException {
        return startIn(ns, env, List.of(), launcher(), args);
    }

    /**
     * Runs {@code launcher} inside network namespace {@code ns}, through {@code wrapper} (a command that runs the rest
     * of the line, e.g. {@code setpriv} with a capability set); the process is lvsd's JVM itself, as every step execs.
     */
    static LvsdProcess startIn(String ns, Map<String, String> env, List<String> wrapper, Path launcher, String... args)
            throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(wrapper);
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("NOTIFY_SOCKET");
        stateNextToConfig(pb, args);
        pb.environment().putAll(env);
        forTheLab(pb);
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
