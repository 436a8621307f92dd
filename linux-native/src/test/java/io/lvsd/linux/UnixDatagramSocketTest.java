package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixDatagramSocketTest {
    @TempDir
    Path dir;

    @Test
    void sendsOneDatagramToABoundPath() throws Exception {
        String path = dir.resolve("notify.sock").toString();
        try (UnixDatagramSocket server = UnixDatagramSocket.bind(path);
             UnixDatagramSocket client = UnixDatagramSocket.open()) {
            client.send(path, "READY=1".getBytes(StandardCharsets.UTF_8));
            byte[] got = server.receive(5_000, 4096);
            assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("READY=1");
        }
    }

    @Test
    void sendsToTheAbstractNamespace() throws Exception {
        String name = "@lvsd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramSocket server = UnixDatagramSocket.bind(name);
             UnixDatagramSocket client = UnixDatagramSocket.open()) {
            client.send(name, "WATCHDOG=1".getBytes(StandardCharsets.UTF_8));
            assertThat(server.receive(5_000, 4096)).asString(StandardCharsets.UTF_8).isEqualTo("WATCHDOG=1");
        }
    }

    @Test
    void receiveTimesOutWithNull() throws Exception {
        try (UnixDatagramSocket server = UnixDatagramSocket.bind(dir.resolve("quiet.sock").toString())) {
            assertThat(server.receive(1, 16)).isNull();
        }
    }

    @Test
    void sendingToAMissingSocketNamesOperationAndErrno() throws Exception {
        String path = dir.resolve("absent.sock").toString();
        try (UnixDatagramSocket client = UnixDatagramSocket.open()) {
            assertThatThrownBy(() -> client.send(path, new byte[] {1}))
                    .isInstanceOf(NativeException.class)
                    .hasMessageStartingWith("sendto(AF_UNIX " + path + "): ENOENT")
                    .satisfies(e -> assertThat(((NativeException) e).errnoName()).isEqualTo("ENOENT"));
        }
    }

    @Test
    void bindingTwiceFailsWithEaddrinuse() throws Exception {
        String path = dir.resolve("twice.sock").toString();
        try (UnixDatagramSocket first = UnixDatagramSocket.bind(path)) {
            assertThatThrownBy(() -> UnixDatagramSocket.bind(path))
                    .isInstanceOf(NativeException.class)
                    .hasMessageStartingWith("bind(AF_UNIX " + path + "): EADDRINUSE");
        }
    }
}
