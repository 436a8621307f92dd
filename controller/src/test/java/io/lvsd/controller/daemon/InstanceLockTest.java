package io.lvsd.controller.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceLockTest {
    @TempDir
    Path dir;

    @Test
    void theRuntimeDirectoryIsSystemdsWhenItSetsOne() {
        assertThat(InstanceLock.directory(Map.of())).isEqualTo(Path.of("/run/lvsd"));
        assertThat(InstanceLock.directory(Map.of("RUNTIME_DIRECTORY", "/run/lvsd-test:/run/other")))
                .isEqualTo(Path.of("/run/lvsd-test"));
        assertThat(InstanceLock.directory(Map.of("RUNTIME_DIRECTORY", "relative"))).isEqualTo(Path.of("/run/lvsd"));
    }

    @Test
    void theFileIsNamedAfterThisNetworkNamespace() throws Exception {
        String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531992]
        assertThat(InstanceLock.file(dir).getFileName().toString())
                .isEqualTo("lvsd-netns-" + ns.replaceAll("[^0-9]", "") + ".lock");
    }

    @Test
    void aHeldLockNamesItsHolderAndAReleasedOrStaleOneNobody() throws Exception {
        Path f = InstanceLock.file(dir.resolve("sub"));
        assertThat(InstanceLock.holder(f)).as("no file").isEmpty();
        try (InstanceLock l = InstanceLock.acquire(f)) {
            assertThat(l).isNotNull();
            assertThat(InstanceLock.holder(f)).hasValue(ProcessHandle.current().pid());
            assertThat(InstanceLock.acquire(f)).as("a second daemon").isNull();
        }
        assertThat(InstanceLock.holder(f)).as("released").isEmpty();
        Files.writeString(f, "12345\n"); // a daemon that died: its file stays, its lock went with it
        assertThat(InstanceLock.holder(f)).isEmpty();
        try (InstanceLock again = InstanceLock.acquire(f)) {
            assertThat(again).isNotNull();
            assertThat(Files.readString(f)).isEqualTo(ProcessHandle.current().pid() + "\n");
        }
    }
}
