package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.cli.IpvsCommand;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Sh;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code lvsd ipvs} against a real IPVS kernel, with ipvsadm as the oracle. Runs in the lab VM. */
class IpvsCliVmTest {
    record Run(int code, String out, String err) {
    }

    static Run lvsd(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        if (stdin != null) {
            IpvsCommand.RestoreCmd r = cl.getSubcommands().get("ipvs").getSubcommands().get("restore").getCommand();
            r.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    static String corpus() throws Exception {
        try (InputStream in = IpvsCliVmTest.class.getResourceAsStream("/corpus/rules.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @BeforeEach
    @AfterEach
    void clean() throws Exception {
        KernelLab.requireIpvs();
        Sh.ok("ipvsadm", "-C");
    }

    @Test
    void restoreThenIpvsadmSavesWhatLvsdSaves() throws Exception {
        Run r = lvsd(corpus(), "ipvs", "restore");
        assertThat(r.code()).as(r.err()).isZero();
        String ipvsadm = Sh.ok("ipvsadm", "-Sn");
        assertThat(lvsd(null, "ipvs", "save").out()).isEqualTo(ipvsadm);
        assertThat(ipvsadm.lines().count()).isEqualTo(corpus().lines().count());
        assertThat(lvsd(null, "ipvs", "list").out()).isEqualTo(Sh.ok("ipvsadm", "-Ln"));
        assertThat(lvsd(null, "ipvs", "list", "--stats").out()).isEqualTo(Sh.ok("ipvsadm", "-Ln", "--stats"));
        assertThat(lvsd(null, "ipvs", "list", "--rate").out()).isEqualTo(Sh.ok("ipvsadm", "-Ln", "--rate"));
    }

    @Test
    void ipvsadmRestoreThenLvsdSaveIsByteForByte() throws Exception {
        Sh.Result r = Sh.run(corpus(), "ipvsadm", "-R");
        assertThat(r.rc()).as(r.out()).isZero();
        assertThat(lvsd(null, "ipvs", "save").out()).isEqualTo(Sh.ok("ipvsadm", "-Sn"));
    }

    @Test
    void dryRunAppliesNothingAndFlushClears() throws Exception {
        Run dry = lvsd(corpus(), "ipvs", "restore", "--dry-run");
        assertThat(dry.code()).isZero();
        assertThat(dry.out()).contains("nothing applied (--dry-run)");
        assertThat(Sh.ok("ipvsadm", "-Sn")).isEmpty();
        assertThat(lvsd(corpus(), "ipvs", "restore").code()).isZero();
        assertThat(lvsd(null, "ipvs", "flush").code()).isZero();
        assertThat(Sh.ok("ipvsadm", "-Sn")).isEmpty();
    }

    @Test
    void badInputAndKernelRefusalsAreReportedByLineAndExitOne() throws Exception {
        Sh.ok("ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr");
        // A duplicate and an unknown scheduler: caught against a copy of the table, nothing applied.
        Run dup = lvsd("-A -t 10.0.0.9:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s nosuch\n", "ipvs", "restore");
        assertThat(dup.code()).isEqualTo(1);
        assertThat(dup.err()).isEqualTo("lvsd ipvs restore: line 2: NEW_SERVICE tcp 10.0.0.1:80: EEXIST (File exists)\n"
                + "lvsd ipvs restore: line 3: NEW_SERVICE tcp 10.0.0.2:80: ENOENT (No such file or directory)\n"
                + "lvsd ipvs restore: nothing applied\n");
        assertThat(Sh.ok("ipvsadm", "-Sn")).isEqualTo("-A -t 10.0.0.1:80 -s rr\n");
        // The kernel itself refuses what only it knows: this 6.1 kernel has no twos scheduler.
        Run twos = lvsd("-A -t 10.0.0.3:80 -s twos\n", "ipvs", "restore");
        assertThat(twos.code()).isEqualTo(1);
        assertThat(twos.err()).startsWith("lvsd ipvs restore: line 1: NEW_SERVICE tcp 10.0.0.3:80: ENOENT (No such file or directory");
        Run syntax = lvsd("-A -t 10.0.0.4:80 -s rr -p nope\n", "ipvs", "restore");
        assertThat(syntax.code()).isEqualTo(1);
        assertThat(syntax.err()).contains("line 1: nope: unknown option").doesNotContain("\tat ");
    }

    @Test
    void timeoutsShowAndSetLikeIpvsadm() throws Exception {
        Run set = lvsd(null, "ipvs", "timeouts", "--set", "1000", "0", "250");
        assertThat(set.code()).isZero();
        assertThat(set.out()).isEqualTo(Sh.ok("ipvsadm", "-L", "--timeout"));
        assertThat(set.out()).startsWith("Timeout (tcp tcpfin udp): 1000 120 250");
        Sh.ok("ipvsadm", "--set", "900", "120", "300");
    }
}
