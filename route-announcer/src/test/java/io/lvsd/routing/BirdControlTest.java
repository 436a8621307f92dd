package io.lvsd.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control-socket exchange against a stand-in for BIRD on a Unix socket of the test's own. */
class BirdControlTest {
    @TempDir
    Path dir;

    /**
     * Serves one connection: greets, answers {@code restrict} with {@code restricted}, reads one command line, answers
     * it with {@code reply} in small pieces. Returns the lines the client sent.
     */
    private CompletableFuture<String> serve(ServerSocketChannel server, String greeting, String reply) {
        return serve(server, greeting, "0016 Access restricted\n", reply);
    }

    private CompletableFuture<String> serve(ServerSocketChannel server, String greeting, String restricted,
                                            String reply) {
        return CompletableFuture.supplyAsync(() -> {
            try (SocketChannel c = server.accept()) {
                c.write(ByteBuffer.wrap(greeting.getBytes(StandardCharsets.US_ASCII)));
                StringBuilder cmd = new StringBuilder();
                readLine(c, cmd);
                c.write(ByteBuffer.wrap(restricted.getBytes(StandardCharsets.US_ASCII)));
                if (!restricted.startsWith("0016")) {
                    return cmd.toString();
                }
                readLine(c, cmd);
                byte[] b = reply.getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < b.length; i += 7) {
                    c.write(ByteBuffer.wrap(b, i, Math.min(7, b.length - i)));
                }
                return cmd.toString();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static void readLine(SocketChannel c, StringBuilder into) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(1);
        while (c.read(in) > 0) {
            in.flip();
            char ch = (char) in.get();
            into.append(ch);
            in.clear();
            if (ch == '\n') {
                return;
            }
        }
    }

    @Test
    void aBirdThatDoesNotRestrictTheSessionIsNotAskedAnything() throws Exception {
        Path sock = dir.resolve("bird.ctl");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> asked = serve(server, "0001 BIRD 2.0.12 ready.\n",
                    "9001 syntax error, unexpected CF_SYM_UNDEFINED\n", "");
            assertThatThrownBy(() -> new BirdControl(sock, Duration.ofSeconds(10)).sessions())
                    .isInstanceOf(IOException.class).hasMessage("bird control socket " + sock + ": restrict answered"
                            + " 9001 9001 syntax error, unexpected CF_SYM_UNDEFINED (expected 0016 Access restricted)");
            assertThat(asked.get()).isEqualTo("restrict\n");
        }
    }

    @Test
    void asksShowProtocolsAndReadsTheSessions() throws Exception {
        Path sock = dir.resolve("bird.ctl");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> asked = serve(server, "0001 BIRD 2.0.12 ready.\n", BirdReplyTest.SHOW_PROTOCOLS);
            BirdControl bird = new BirdControl(sock, Duration.ofSeconds(10));
            assertThat(bird.sessions()).extracting(RoutingDaemon.Session::name, RoutingDaemon.Session::up)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("d1", true),
                            org.assertj.core.groups.Tuple.tuple("d2", false));
            assertThat(asked.get()).isEqualTo("restrict\nshow protocols\n");
        }
    }

    @Test
    void anErrorReplyAndAMissingSocketAreErrorsNamingTheSocket() throws Exception {
        Path sock = dir.resolve("bird.ctl");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            serve(server, "0001 BIRD 2.0.12 ready.\n", "8007 Access denied\n");
            assertThatThrownBy(() -> new BirdControl(sock, Duration.ofSeconds(10)).sessions())
                    .isInstanceOf(IOException.class)
                    .hasMessage("bird " + sock + ": show protocols: 8007 Access denied");
        }
        Path none = dir.resolve("none.ctl");
        assertThatThrownBy(() -> new BirdControl(none, Duration.ofSeconds(1)).sessions())
                .isInstanceOf(IOException.class).hasMessageStartingWith("bird control socket " + none + ": ")
                .hasMessageEndingWith("(is bird running, and may lvsd's user open the socket?)");
    }

    @Test
    void aPeerThatNeverAnswersRunsIntoTheDeadline() throws Exception {
        Path sock = dir.resolve("mute.ctl");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            // Accepted by the kernel's backlog, never greeted: the client's deadline ends the exchange.
            assertThatThrownBy(() -> new BirdControl(sock, Duration.ofMillis(200)).sessions())
                    .isInstanceOf(IOException.class).hasMessageContaining("no complete reply within 200 ms");
        }
    }
}
