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
    void passesADescriptorThatStaysTheSameSocket() throws Exception {
        LinuxNative n = LinuxNative.get();
        String name = "@lvsd-test-passed-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        int passed = n.socket(LinuxNative.AF_UNIX, LinuxNative.SOCK_DGRAM | LinuxNative.SOCK_CLOEXEC, 0, "passed");
        String path = dir.resolve("receiver.sock").toString();
        String from = dir.resolve("sender.sock").toString();
        try (UnixDatagramSocket receiver = UnixDatagramSocket.bind(path);
             UnixDatagramSocket sender = UnixDatagramSocket.bind(from);
             UnixDatagramSocket client = UnixDatagramSocket.open()) {
            n.bind(passed, LinuxNative.sockaddrUnix(name), name);
            sender.send(path, "OK 7".getBytes(StandardCharsets.UTF_8), passed);
            n.close(passed); // the receiver's copy keeps the socket
            UnixDatagramSocket.Message m = receiver.receiveMessage(5_000, 64);
            assertThat(new String(m.data(), StandardCharsets.UTF_8)).isEqualTo("OK 7");
            assertThat(m.sender()).isEqualTo(from);
            assertThat(m.fd()).isNotNegative();
            try {
                client.send(name, "through the copy".getBytes(StandardCharsets.UTF_8));
                n.setReceiveTimeout(m.fd(), 5_000, "copy");
                byte[] buf = new byte[64];
                long got = n.receive(m.fd(), buf, "copy");
                assertThat(new String(buf, 0, (int) got, StandardCharsets.UTF_8)).isEqualTo("through the copy");
            } finally {
                n.close(m.fd());
            }
            sender.send(path, "no descriptor".getBytes(StandardCharsets.UTF_8));
            assertThat(receiver.receiveMessage(5_000, 64).fd()).isEqualTo(-1);
        }
    }

    @Test
    void readsTheDescriptorsOfAnScmRightsMessage() {
        byte[] control = LinuxNative.rightsControl(42);
        assertThat(LinuxNative.passedDescriptors(control, control.length)).containsExactly(42);
        assertThat(LinuxNative.passedDescriptors(control, 12)).isEmpty(); // truncated: no whole header
        assertThat(LinuxNative.passedDescriptors(new byte[0], 0)).isEmpty();
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
