package io.lvsd.ipvs;

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
        KernelLab.runVmTests(Path.of("target/test-classes"), Path.of("target/lab").toAbsolutePath());
    }
}
