package io.lvsd.routing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * BIRD 2 read through its control socket ({@code birdc}'s own protocol, no process spawned): a connection per
 * question, a deadline on the whole exchange, and the session restricted first ({@code restrict}, as {@code birdc -r}
 * does), so that BIRD itself refuses any command that would change it. BIRD must let lvsd's user connect to
 * the socket (its mode, or {@code bird -s} with a socket of lvsd's group).
 */
public final class BirdControl implements RoutingDaemon {
    /** Lines longer than this are not BIRD's: the exchange fails rather than grow without bound. */
    private static final int MAX_REPLY = 1 << 20;

    private final Path socket;
    private final Duration timeout;

    public BirdControl(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "bird";
    }

    public Path socket() {
        return socket;
    }

    @Override
    public List<Session> sessions() throws IOException {
        BirdReply r = ask("show protocols");
        if (!r.ok()) {
            throw new IOException("bird " + socket + ": show protocols: " + r.error());
        }
        return r.bgpSessions();
    }

    /** Sends one command and returns BIRD's reply to it. */
    public BirdReply ask(String command) throws IOException {
        if (command.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("command: a newline in \"" + command.strip() + "\"");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector sel = Selector.open()) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("bird control socket " + socket + ": " + e.getMessage()
                        + " (is bird running, and may lvsd's user open the socket?)", e);
            }
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            LineReader in = new LineReader(ch, sel, deadline);
            BirdReply hello = in.reply();
            if (hello.code() != 1) {
                throw new IOException("bird control socket " + socket + ": greeted with code " + hello.code()
                        + " (expected 0001 ... ready)");
            }
            // Read-only from here on: BIRD answers 8007 Access denied to anything that would change it.
            send(ch, "restrict");
            BirdReply restricted = in.reply();
            if (restricted.code() != 16) {
                throw new IOException("bird control socket " + socket + ": restrict answered " + restricted.code()
                        + (restricted.ok() ? "" : " " + restricted.error()) + " (expected 0016 Access restricted)");
            }
            send(ch, command);
            return in.reply();
        }
    }

    private static void send(SocketChannel ch, String line) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) {
            ch.write(out);
        }
    }

    private final class LineReader {
        private final SocketChannel ch;
        private final Selector sel;
        private final long deadline;
        private final ByteBuffer buf = ByteBuffer.allocate(8192);
        private final StringBuilder line = new StringBuilder();
        private final BirdReply.Reader reader = new BirdReply.Reader();
        private int total;

        LineReader(SocketChannel ch, Selector sel, long deadline) {
            this.ch = ch;
            this.sel = sel;
            this.deadline = deadline;
        }

        BirdReply reply() throws IOException {
            while (true) {
                buf.flip();
                while (buf.hasRemaining()) {
                    char c = (char) (buf.get() & 0xff);
                    if (c != '\n') {
                        line.append(c);
                        continue;
                    }
                    BirdReply r;
                    try {
                        r = reader.accept(line.toString());
                    } catch (IllegalArgumentException e) {
                        throw new IOException("bird control socket " + socket + ": " + e.getMessage());
                    }
                    line.setLength(0);
                    if (r != null) {
                        buf.compact();
                        return r;
                    }
                }
                buf.clear();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("bird control socket " + socket + ": no complete reply within "
                            + timeout.toMillis() + " ms");
                }
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
                int n = ch.read(buf);
                if (n < 0) {
                    throw new IOException("bird control socket " + socket + ": closed before the reply ended");
                }
                total += n;
                if (total > MAX_REPLY) {
                    throw new IOException("bird control socket " + socket + ": reply over " + MAX_REPLY + " bytes");
                }
            }
        }
    }
}
