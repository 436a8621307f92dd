package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lvsd runs with exactly the capabilities its systemd unit grants, and its scripts with none. A VRRP pair in host
 * namespaces ({@link VrrpLab}):
 * <ul>
 *   <li>d1 as root, as the unit runs it: the bounding set is the unit's {@code CapabilityBoundingSet=} and nothing
 *       else, and no new privileges;</li>
 *   <li>d2 as {@code nobody} (uid 65534), with the same capabilities as ambient ones (systemd's
 *       {@code AmbientCapabilities=}): a non-root daemon, which only works if no step needs root itself.</li>
 * </ul>
 * Both run VRRP with a track script, and d2 takes over when d1 dies (VIP added, announced, notify script run). The
 * scripts (as {@code nobody} on both) must see no capability at all, effective or ambient. IPVS programming, health
 * checks and sync under the same bounding set are the lab VM's part: {@link HaLab} starts every director so.
 */
class LeastPrivilegeIT {
    /** linux/capability.h's numbers for the capability names the unit uses. */
    static final Map<String, Integer> CAP_NUMBERS = Map.of("CAP_KILL", 5, "CAP_SETGID", 6, "CAP_SETUID", 7,
            "CAP_NET_BIND_SERVICE", 10, "CAP_NET_ADMIN", 12, "CAP_NET_RAW", 13);
    static final String NOBODY = LvsdProcess.NOBODY;
    static final Duration CONVERGE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    static long mask(List<String> caps) {
        long m = 0;
        for (String c : caps) {
            Integer n = CAP_NUMBERS.get(c);
            assertThat(n).as("the number of " + c + " (add it to CAP_NUMBERS from linux/capability.h)").isNotNull();
            m |= 1L << n;
        }
        return m;
    }

    /** A field of /proc/PID/status (CapEff, CapBnd, Uid ...). */
    static String status(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + field + " in /proc/" + pid + "/status");
    }

    static long capField(long pid, String field) throws Exception {
        return Long.parseUnsignedLong(status(pid, field), 16);
    }

    @Test
    void aPairRunsWithTheUnitsCapabilitiesAloneAndItsScriptsWithNone() throws Exception {
        Lab.requireRoot("starts lvsd with a reduced capability set in network namespaces");
        Lab.requireCommand("setpriv", "util-linux");
        List<String> caps = LvsdProcess.unitCapabilities();
        long unitMask = mask(caps);
        // d2 runs as nobody: it must read its configuration and the distribution, and own its state and runtime
        // directories (systemd's StateDirectory= and RuntimeDirectory= would be given to its User=).
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path scriptsOut = Files.createDirectory(dir.resolve("caps"));
        Files.setPosixFilePermissions(scriptsOut, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path launcher = LvsdProcess.launcherForNobody(dir);
        Map<String, Path> owned = Map.of("STATE_DIRECTORY", dir.resolve("d2-state"), "RUNTIME_DIRECTORY",
                dir.resolve("d2-run"));
        for (Path p : owned.values()) {
            Files.createDirectory(p);
            Sh.ok("chown", NOBODY + ":" + NOBODY, p.toString());
        }
        List<String> asRoot = LvsdProcess.asTheUnit();
        // d2 asks for vrrp.realtime-priority = 10 as the shipped unit runs it without its realtime.conf drop-in: no
        // CAP_SYS_NICE, an RLIMIT_RTPRIO of 0. (The drop-in's LimitRTPRIO= cannot be tried here: raising the limit
        // needs CAP_SYS_RESOURCE, which this machine's root lacks.)
        List<String> asNobody = LvsdProcess.asNobody();
        try (VrrpLab lab = new VrrpLab("lvsd-lp", dir)) {
            LvsdProcess d1 = lab.lvsd("d1", conf("d1", 150, scriptsOut, 0), asRoot, LvsdProcess.launcher(),
                    Map.of("RUNTIME_DIRECTORY", dir.resolve("d1-run").toString()));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(250)).until(() -> lab.holds("d1", VrrpLab.VIP));
            Map<String, String> env = new java.util.HashMap<>();
            owned.forEach((k, v) -> env.put(k, v.toString()));
            LvsdProcess d2 = lab.lvsd("d2", conf("d2", 100, scriptsOut, 10), asNobody, launcher, env);
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(250))
                    .until(() -> d2.output().contains("VI_1: INIT -> BACKUP") || !d2.alive());
            assertThat(d2.alive()).as("d2 (nobody) runs" + lab.outputs()).isTrue();

            // The daemons: exactly the unit's capabilities (d1 as root, d2 as nobody).
            assertThat(status(d1.pid(), "Uid")).startsWith("0\t");
            assertThat(capField(d1.pid(), "CapBnd")).as("d1's bounding set").isEqualTo(unitMask);
            assertThat(capField(d1.pid(), "CapEff")).as("d1's effective set").isEqualTo(unitMask);
            assertThat(status(d2.pid(), "Uid")).startsWith(NOBODY + "\t");
            assertThat(capField(d2.pid(), "CapEff")).as("d2's effective set").isEqualTo(unitMask);
            assertThat(capField(d2.pid(), "CapBnd")).as("d2's bounding set").isEqualTo(unitMask);

            // The real-time priority refused: said once per thread with the remedy, every thread at the ordinary
            // policy, and VRRP runs on (d2 takes over below).
            await().atMost(CONVERGE).until(() -> d2.output().contains("lvsd-vrrp-rx-eth0-ipv4: cannot run"));
            assertThat(d2.output()).as("d2's refusals").contains("the JVM's VM Thread: cannot run at real-time "
                    + "priority 10").containsPattern("lvsd-vrrp-\\d+-\\d+: cannot run at real-time priority 10 "
                    + "\\(vrrp.realtime-priority\\): sched_setscheduler\\(SCHED_FIFO, 10\\).*EPERM")
                    .contains("LimitRTPRIO=10 and RestrictRealtime=no");
            assertThat(policies(d2.pid()).values()).as("d2's threads").containsOnly(0);
            assertThat(policies(d1.pid()).values()).as("d1's threads (no realtime-priority)").containsOnly(0);

            // The scripts: nothing, on both.
            for (String h : List.of("d1", "d2")) {
                Path f = scriptsOut.resolve(h + "-track");
                await().atMost(CONVERGE).until(() -> Files.exists(f) && Files.readString(f).contains("CapAmb"));
                await().atMost(CONVERGE).until(() -> Files.readString(f).contains("policy"));
                assertThat(Files.readString(f).lines()).as(h + "'s track script").containsExactly(
                        "Uid:\t65534\t65534\t65534\t65534", "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000",
                        "policy 0");
            }
            assertThat(Files.exists(dir.resolve("d2-run"))).isTrue();
            try (var files = Files.list(dir.resolve("d2-run"))) {
                assertThat(files.map(p -> p.getFileName().toString()).toList()).as("d2's runtime directory")
                        .anyMatch(n -> n.endsWith(".sock")).anyMatch(n -> n.endsWith(".lock"));
            }

            // d1 dies; d2, as nobody, takes over: the VIP, the announcements, the notify script.
            d1.signal("KILL");
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(250)).until(() -> lab.holds("d2", VrrpLab.VIP));
            Path master = scriptsOut.resolve("d2-master");
            await().atMost(CONVERGE).until(() -> Files.exists(master) && Files.readString(master).contains("policy"));
            assertThat(Files.readString(master).lines()).as("d2's notify.master (started from a real-time thread "
                    + "or not, never real-time)").containsExactly("Uid:\t65534\t65534\t65534\t65534",
                    "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000", "policy 0");
            String others = String.join("\n", d2.output().lines()
                    .filter(l -> !l.contains("cannot run at real-time priority")).toList());
            assertThat(others).as("d2 took over with its capabilities alone" + lab.outputs())
                    .contains("VI_1: BACKUP -> MASTER").doesNotContain("Operation not permitted")
                    .doesNotContain("\tat ");
            assertThat(d1.output()).doesNotContain("ERROR");
            assertThat(d2.output().lines().filter(l -> l.contains("ERROR"))).as("d2: only the refusals")
                    .allMatch(l -> l.contains("cannot run at real-time priority 10"));
        }
    }

    /** Each thread's scheduling policy by its name (as the kernel shows it: 15 characters), from /proc. */
    static Map<String, Integer> policies(long pid) throws Exception {
        Map<String, Integer> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    int policy = Files.readAllLines(t.resolve("sched")).stream().filter(l -> l.startsWith("policy"))
                            .map(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).strip())).findFirst().orElseThrow();
                    out.merge(comm, policy, Math::max);
                } catch (java.nio.file.NoSuchFileException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    /** A VRRP-only director whose track and notify scripts write what they run with. */
    static String conf(String host, int priority, Path out, int realtime) {
        String caps = "{ grep -E '^(Uid|CapEff|CapAmb):' /proc/self/status; awk '/^policy/ {print $1, $3}' "
                + "/proc/self/sched; } > " + out + "/" + host;
        return """
                scripts.user = nobody
                vrrp {
                  realtime-priority = %d
                  track-scripts.caps { command = ["/bin/sh", "-c", "%s-track"], interval = 1s, weight = -10 }
                  instances.VI_1 { interface = eth0, virtual-router-id = 61, priority = %d, advert-interval = 1s,
                    virtual-addresses = ["%s/24"], track.scripts = [caps],
                    notify.master = ["/bin/sh", "-c", "%s-master"] }
                }
                """.formatted(realtime, caps, priority, VrrpLab.VIP, caps);
    }
}
