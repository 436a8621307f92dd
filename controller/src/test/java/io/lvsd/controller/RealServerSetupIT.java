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

    @Test
    void aNatRealServerWhoseDefaultRouteBypassesTheDirectorFails() throws Exception {
        Lab.requireRoot("network namespaces for a real server");
        try (Netns net = new Netns("lvsd-rsn")) {
            net.bridge("in");
            net.link("rs", "eth0", "in", "10.96.0.21/24");
            net.exec("rs", "ip", "route", "add", "default", "via", "10.96.0.254");
            String[] check = {"real-server", "check", "--vip", "10.99.0.100", "--forwarding", "nat", "--director",
                "10.96.0.1"};
            Run bad = lvsd(net, "rs", check);
            assertThat(bad.code()).as(bad.out()).isEqualTo(1);
            assertThat(bad.out()).contains("fail  nat: default route: via 10.96.0.254 dev eth0: replies to clients"
                    + " bypass the director", "fix: ip route replace default via 10.96.0.1");
            net.exec("rs", "ip", "route", "replace", "default", "via", "10.96.0.1");
            Run good = lvsd(net, "rs", check);
            assertThat(good.code()).as(good.out()).isZero();
            assertThat(good.out()).contains("ok    nat: default route: via 10.96.0.1 dev eth0");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
