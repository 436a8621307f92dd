package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Lab;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Boots the kernel lab once and runs every *VmTest of this module inside it. */
class IpvsKernelLabIT {
    @Test
    void netlinkDriverAgainstARealIpvsKernel() throws Exception {
        Lab.requireRoot("boots the kernel lab VM");
        Lab.requireCommand("ipvsadm", "ipvsadm");
        int passed = KernelLab.runVmTests(Path.of("target/test-classes"), Path.of("target/lab").toAbsolutePath());
        assertThat(passed).as("VM tests that ran and passed").isGreaterThanOrEqualTo(7);
    }
}
