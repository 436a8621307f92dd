package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Lab;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Boots the kernel lab once and runs every *VmTest of the controller inside it. */
class ControllerKernelLabIT {
    @Test
    void controllerAgainstARealIpvsKernel() throws Exception {
        Lab.requireRoot("boots the kernel lab VM");
        Lab.requireCommand("ipvsadm", "ipvsadm");
        // The guest runs this machine's programs: ReloadVmTest captures netlink with its tcpdump.
        Lab.requireCommand("tcpdump", "tcpdump");
        // DoctorVmTest plants firewall faults with nft.
        Lab.requireCommand("nft", "nftables");
        // EcmpVmTest runs BIRD for its router and directors, and asks a director's /status with curl.
        Lab.requireCommand("bird", "bird2");
        Lab.requireCommand("curl", "curl");
        int passed = KernelLab.runVmTests(Path.of("target/test-classes"), Path.of("target/lab").toAbsolutePath(),
                Map.of("lvsd.dist", LvsdProcess.launcher().getParent().getParent().toAbsolutePath().toString()));
        if (KernelLab.allVmTests()) {
            assertThat(passed).as("VM tests that ran and passed").isGreaterThanOrEqualTo(29);
        }
    }
}
