package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysctlTest {
    @TempDir
    Path root;

    @Test
    void readsAndWritesByDottedName() throws Exception {
        Files.createDirectories(root.resolve("net/ipv4/vs"));
        Files.writeString(root.resolve("net/ipv4/vs/expire_nodest_conn"), "0\n");
        Sysctl s = new Sysctl(root);
        assertThat(s.readInt("net.ipv4.vs.expire_nodest_conn")).isZero();
        assertThat(s.write("net.ipv4.vs.expire_nodest_conn", "1")).isEqualTo("0");
        assertThat(s.readInt("net.ipv4.vs.expire_nodest_conn")).isEqualTo(1);
    }

    @Test
    void errorsNameTheParameter() {
        Sysctl s = new Sysctl(root);
        assertThatThrownBy(() -> s.read("net.ipv4.vs.conntrack")).hasMessage("sysctl net.ipv4.vs.conntrack: no such parameter (is the module loaded?)");
        assertThatThrownBy(() -> s.read("../etc/passwd")).hasMessageContaining("expected a dotted name");
    }
}
