package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lvsd real-server check|setup} on a real server in a network namespace (its sysctls and addresses are the
 * namespace's own): the fault found with its fix, a dry run that changes nothing, a setup after which the check
 * passes, a second setup with nothing to do, and an undo that restores exactly what was there.
 */
class RealServerSetupIT {
    @TempDir
    Path dir;

    record Run(int code, String out) {}

    static Run lvsd(Netns net, String host, String... args) throws Exception {
        LvsdProcess p = LvsdProcess.startIn(net.name(host), Map.of(), args);
        int code = p.waitFor(120);
        return new Run(code, p.output());
    }

    /** What setup may change and undo must restore: the ARP sysctls and the addresses on lo. */
    static String state(Netns net, String host) throws Exception {
        return net.exec(host, "sh", "-c", "for p in arp_ignore arp_announce rp_filter; do for i in all eth0 lo; do"
                + " echo $i.$p=$(cat /proc/sys/net/ipv4/conf/$i/$p); done; done; ip -o addr show dev lo");
    }

    @Test
    void drFaultsAreFoundFixedAndUndone() throws Exception {
        Lab.requireRoot("network namespaces for a real server");
        try (Netns net = new Netns("lvsd-rs")) {
            net.bridge("lan");
            net.link("rs", "eth0", "lan", "10.97.0.21/24");
            net.exec("rs", "ip", "route", "add", "default", "via", "10.97.0.1");
            String before = state(net, "rs");
            Path record = dir.resolve("real-server-setup.record");
            String[] target = {"--vip", "10.97.0.100", "--forwarding", "dr"};

            Run check = lvsd(net, "rs", concat(new String[] {"real-server", "check"}, target));
            assertThat(check.code()).as(check.out()).isEqualTo(1);
            assertThat(check.out()).contains("fail  dr: VIP 10.97.0.100 on lo: missing",
                    "fix: ip addr add 10.97.0.100/32 dev lo",
                    "fail  arp_ignore: 0 in force (all and eth0): the real server answers ARP for the VIP",
                    "fix: sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1");

            Run dry = lvsd(net, "rs", concat(new String[] {"real-server", "setup", "--dry-run", "--state-file",
                record.toString()}, target));
            assertThat(dry.code()).as(dry.out()).isZero();
            assertThat(dry.out()).contains("would run: ip addr add 10.97.0.100/32 dev lo",
                    "would run: sysctl -w net.ipv4.conf.eth0.arp_announce=2");
            assertThat(state(net, "rs")).as("a dry run changes nothing").isEqualTo(before);
            assertThat(record).doesNotExist();

            Run setup = lvsd(net, "rs", concat(new String[] {"real-server", "setup", "--state-file", record.toString()},
                    target));
            assertThat(setup.code()).as(setup.out()).isZero();
            assertThat(Files.readString(record)).contains("address lo 10.97.0.100/32",
                    "sysctl net.ipv4.conf.all.arp_ignore 0 1");
            Run ok = lvsd(net, "rs", concat(new String[] {"real-server", "check"}, target));
            assertThat(ok.code()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("ok    dr: VIP 10.97.0.100 on lo: 10.97.0.100/32", "ok    arp_ignore: 1 in force");
            Run again = lvsd(net, "rs", concat(new String[] {"real-server", "setup", "--state-file", record.toString()},
                    target));
            assertThat(again.out()).contains("nothing to change");

            Run undo = lvsd(net, "rs", concat(new String[] {"real-server", "setup", "--undo", "--state-file",
                record.toString()}, target));
            assertThat(undo.code()).as(undo.out()).isZero();
            assertThat(state(net, "rs")).as("undo restores exactly what was there").isEqualTo(before);
            assertThat(record).doesNotExist();
        }
    }

    /**
     * {@code --persist}: the files a boot needs are written (and shown first by a dry run); a fresh host given the
     * sysctl file alone, by {@code sysctl -p} as a boot does, has the ARP settings in force; {@code --undo} removes the
     * files. (NAT's default route: RealServerFaultsIT, with traffic.)
     */
    @Test
    void persistWritesWhatABootNeedsAndUndoRemovesIt() throws Exception {
        Lab.requireRoot("network namespaces for a real server");
        try (Netns net = new Netns("lvsd-rsp")) {
            net.bridge("lan");
            for (String[] h : new String[][] {{"rs", "10.97.1.21"}, {"boot", "10.97.1.22"}}) {
                net.link(h[0], "eth0", "lan", h[1] + "/24");
                net.exec(h[0], "ip", "route", "add", "default", "via", "10.97.1.1");
            }
            Path root = dir.resolve("root");
            Path record = dir.resolve("persist.record");
            String[] setup = {"real-server", "setup", "--vip", "10.97.1.100", "--forwarding", "dr", "--persist=networkd",
                "--persist-root", root.toString(), "--state-file", record.toString()};
            Path sysctl = root.resolve("etc/sysctl.d/90-lvsd-real-server.conf");
            Path network = root.resolve("etc/systemd/network/09-lvsd-real-server-lo.network");

            Run dry = lvsd(net, "rs", concat(setup, new String[] {"--dry-run"}));
            assertThat(dry.code()).as(dry.out()).isZero();
            assertThat(dry.out()).contains("would run: cat > " + sysctl + " <<'EOF'", "net.ipv4.conf.eth0.arp_ignore = 1",
                    "would run: cat > " + network + " <<'EOF'", "Address=10.97.1.100/32");
            assertThat(root).doesNotExist();

            Run done = lvsd(net, "rs", setup);
            assertThat(done.code()).as(done.out()).isZero();
            assertThat(network).content().contains("[Match]\nName=lo\n", "[Address]\nAddress=10.97.1.100/32\n");
            assertThat(Files.readString(record)).contains("file " + sysctl + " -", "file " + network + " -");
            Run again = lvsd(net, "rs", setup);
            assertThat(again.out()).contains("nothing to change");

            // A boot applies sysctl.d: on a fresh host the file alone puts the ARP settings in force.
            net.exec("boot", "sysctl", "-q", "-p", sysctl.toString());
            Run boot = lvsd(net, "boot", "real-server", "check", "--vip", "10.97.1.100", "--forwarding", "dr");
            assertThat(boot.out()).contains("ok    arp_ignore: 1 in force (all and eth0)",
                    "ok    arp_announce: 2 in force (all and eth0)");

            Run undo = lvsd(net, "rs", concat(setup, new String[] {"--undo"}));
            assertThat(undo.code()).as(undo.out()).isZero();
            assertThat(undo.out()).contains("undone: rm " + network, "undone: rm " + sysctl);
            assertThat(sysctl).doesNotExist();
            assertThat(network).doesNotExist();
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
