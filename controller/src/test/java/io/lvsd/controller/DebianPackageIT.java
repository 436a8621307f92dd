package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Debian package that {@code mvn package} builds ({@code target/lvsd_*_all.deb}, the {@code deb} profile of
 * this module): lintian finds no errors in it, and it installs, works, and removes and purges without a trace.
 *
 * <p>The install happens in a throw-away root, never on this machine: an overlay whose lower layer is this
 * machine's root (read-only) and whose upper layer is a tmpfs, entered with chroot, with a fresh /run (so that the
 * maintainer scripts see no running systemd) and a {@code policy-rc.d} that forbids starting any service. The
 * package itself neither enables nor starts lvsd; the test checks that no lvsd process ran. Whatever the package
 * leaves behind is exactly the overlay's upper layer, so "nothing left" is checked against that, not against a list
 * of the files the test expects.
 */
class DebianPackageIT {
    private static final Path TARGET = Path.of(System.getProperty("lvsd.dist", "target/lvsd/lvsd")).getParent().getParent();
    private static Path deb;
    private static Path base;
    private static Path root;
    private static final List<Path> MOUNTS = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        Lab.requireRoot("installs the package in an overlay chroot (mount, chroot)");
        try (Stream<Path> files = Files.list(TARGET)) {
            deb = files.filter(p -> p.getFileName().toString().matches("lvsd_.*_all\\.deb")).findFirst().orElse(null);
        }
        if (deb == null) {
            Lab.unavailable("no " + TARGET + "/lvsd_*_all.deb: the deb profile was skipped (-Dlvsd.deb.skip)");
        }
        Lab.requireCommand("lintian", "lintian");
        Lab.requireCommand("chroot", "coreutils");
    }

    @AfterAll
    static void unmount() throws Exception {
        for (int i = MOUNTS.size() - 1; i >= 0; i--) {
            Sh.Result r = Sh.run(null, "umount", MOUNTS.get(i).toString());
            if (r.rc() != 0) {
                Sh.run(null, "umount", "-l", MOUNTS.get(i).toString());
            }
        }
        MOUNTS.clear();
        if (base != null) {
            Sh.run(null, "rm", "-rf", base.toString());
        }
    }

    @Test
    void lintianFindsNoErrorsOrWarnings() throws Exception {
        Sh.Result r = Sh.run(null, "lintian", "--fail-on", "error,warning", "--display-level", ">=warning", deb.toString());
        System.out.println("lintian " + deb.getFileName() + ":\n" + r.out());
        assertThat(r.out().lines().filter(l -> l.startsWith("E: ") || l.startsWith("W: ")).toList())
                .as("lintian errors and warnings (overrides: src/deb/lintian-overrides)").isEmpty();
        assertThat(r.rc()).as("lintian's exit code:\n" + r.out()).isZero();
    }

    @Test
    void installsWorksAndPurgesLeavingNothingBehind() throws Exception {
        throwAwayRoot();
        String version = Sh.ok("dpkg-deb", "-f", deb.toString(), "Version").trim();
        assertThat(version).as("the package's version").matches("[0-9][0-9A-Za-z.+~]*");
        Files.copy(deb, root.resolve("tmp/lvsd.deb"));

        Sh.Result install = chroot("dpkg", "-i", "/tmp/lvsd.deb");
        assertThat(install.rc()).as("dpkg -i:\n" + install.out()).isZero();

        // It works: the launcher through /usr/bin, the shipped configuration, the script user, the layout.
        Sh.Result v = chroot("lvsd", "version");
        assertThat(v.rc()).as(v.out()).isZero();
        assertThat(v.out()).startsWith("lvsd " + version.replace('~', '-'));
        Sh.Result check = chroot("lvsd", "check-config", "-f", "/etc/lvsd/lvsd.conf");
        assertThat(check.rc()).as("lvsd check-config -f /etc/lvsd/lvsd.conf:\n" + check.out()).isZero();
        String user = chroot("getent", "passwd", "lvsd-script").out();
        assertThat(user).as("the script user").startsWith("lvsd-script:").contains(":/usr/sbin/nologin");
        assertThat(chroot("getent", "group", "lvsd-script").out()).startsWith("lvsd-script:");
        assertThat(root.resolve("var/lib/lvsd")).isDirectory();
        assertThat(Files.readSymbolicLink(root.resolve("usr/lib/lvsd/etc"))).isEqualTo(Path.of("/etc/lvsd"));
        String unit = Files.readString(root.resolve("lib/systemd/system/lvsd.service"));
        assertThat(unit).contains("ExecStart=/usr/bin/lvsd run -f /etc/lvsd/lvsd.conf")
                .contains("ExecStartPre=/usr/bin/lvsd check-config").doesNotContain("/opt/");
        assertThat(root.resolve("usr/lib/modules-load.d/lvsd.conf")).content().contains("ip_vs");
        Sh.Result man = chroot("sh", "-c", "zcat /usr/share/man/man1/lvsd.1.gz /usr/share/man/man1/lvsd-run.1.gz");
        assertThat(man.rc()).as(man.out()).isZero();
        assertThat(man.out()).contains(".TH \"LVSD\"").contains(".TH \"LVSD\\-RUN\" \"1\" \"\" \"lvsd ");
        // Neither enabled nor started: a packaged director must not send VRRP before its operator configured it.
        assertThat(root.resolve("etc/systemd/system/multi-user.target.wants/lvsd.service")).doesNotExist();
        assertThat(processesInside()).as("processes left running in the throw-away root after dpkg -i").isEmpty();

        // Remove keeps the configuration (conffiles) and the user; purge takes everything.
        Files.writeString(root.resolve("var/lib/lvsd/owned-services.json"), "{}\n");
        Sh.Result remove = chroot("dpkg", "-r", "lvsd");
        assertThat(remove.rc()).as("dpkg -r:\n" + remove.out()).isZero();
        assertThat(root.resolve("usr/lib/lvsd")).doesNotExist();
        assertThat(root.resolve("usr/bin/lvsd")).doesNotExist();
        assertThat(root.resolve("etc/lvsd/lvsd.conf")).exists();
        Sh.Result purge = chroot("dpkg", "-P", "lvsd");
        assertThat(purge.rc()).as("dpkg -P:\n" + purge.out()).isZero();
        assertThat(chroot("dpkg", "-s", "lvsd").rc()).as("dpkg still knows lvsd").isNotZero();
        assertThat(chroot("getent", "passwd", "lvsd-script").rc()).as("the script user after purge").isNotZero();
        assertThat(chroot("getent", "group", "lvsd-script").rc()).as("the script group after purge").isNotZero();
        for (String account : List.of("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow")) {
            assertThat(Files.readString(root.resolve(account))).as(account + " after purge")
                    .isEqualTo(Files.readString(Path.of("/").resolve(account)));
        }
        assertThat(leftovers()).as("what the package left in the throw-away root after purge").isEmpty();
    }

    /** Everything the overlay's upper layer holds that this machine's root does not, less dpkg's own records. */
    private static List<String> leftovers() throws IOException {
        Path upper = base.resolve("upper");
        List<String> left = new ArrayList<>();
        try (Stream<Path> all = Files.walk(upper)) {
            all.filter(p -> !p.equals(upper)).forEach(p -> {
                String rel = upper.relativize(p).toString();
                if (bookkeeping(rel)) {
                    return;
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (!Files.isDirectory(Path.of("/", rel), LinkOption.NOFOLLOW_LINKS)) {
                        left.add(rel + "/");
                    }
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
                    left.add(rel);
                }
                // anything else is an overlay whiteout: a file of the lower root deleted, which is no leftover
            });
        }
        return left;
    }

    /** The command lines of the processes whose root directory is the throw-away root. */
    private static List<String> processesInside() throws IOException {
        List<String> inside = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(q -> q.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("root")).equals(root)) {
                        inside.add(p.getFileName() + ": " + Files.readString(p.resolve("cmdline")).replace('\0', ' '));
                    }
                } catch (IOException gone) {
                    // exited meanwhile, or not ours to read
                }
            }
        }
        return inside;
    }

    private static boolean bookkeeping(String rel) {
        return rel.startsWith("var/lib/dpkg/") || rel.equals("var/lib/dpkg")
                || rel.startsWith("var/log/") || rel.startsWith("var/cache/") || rel.startsWith("var/lib/systemd/")
                || rel.matches("etc/(passwd|group|shadow|gshadow|subuid|subgid)-?") || rel.equals("etc/.pwd.lock")
                || rel.equals("usr/sbin/policy-rc.d") || rel.equals("etc/ld.so.cache");
    }

    /**
     * An overlay of this machine's root on a tmpfs, with /proc, /dev, and fresh /run and /tmp, and services forbidden
     * to start.
     */
    private static void throwAwayRoot() throws Exception {
        base = Files.createTempDirectory("lvsd-deb-root");
        mount(base, "-t", "tmpfs", "-o", "mode=0700", "tmpfs");
        for (String d : List.of("upper", "work", "merged")) {
            Files.createDirectories(base.resolve(d));
        }
        root = base.resolve("merged");
        mount(root, "-t", "overlay", "-o", "lowerdir=/,upperdir=" + base.resolve("upper") + ",workdir=" + base.resolve("work"),
                "overlay");
        mount(root.resolve("proc"), "-t", "proc", "proc");
        mount(root.resolve("dev"), "--bind", "/dev");
        mount(root.resolve("run"), "-t", "tmpfs", "tmpfs");
        mount(root.resolve("tmp"), "-t", "tmpfs", "tmpfs");
        Path policy = root.resolve("usr/sbin/policy-rc.d");
        Files.writeString(policy, "#!/bin/sh\n# lvsd's DebianPackageIT: no service may start in this throw-away root\nexit 101\n");
        Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void mount(Path where, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mount"));
        cmd.addAll(List.of(args));
        cmd.add(where.toString());
        Sh.ok(cmd.toArray(String[]::new));
        MOUNTS.add(where);
    }

    private static Sh.Result chroot(String... cmd) throws Exception {
        List<String> line = new ArrayList<>(List.of("env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                "DEBIAN_FRONTEND=noninteractive", "chroot", root.toString()));
        line.addAll(List.of(cmd));
        return Sh.run(null, line.toArray(String[]::new));
    }
}
