package io.lvsd.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.Socket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One TCP connection of a probe, without a channel: a non-blocking socket that the probe's epoll loop watches, closed
 * with a reset when the probe ends. A channel costs ten more system calls per probe (address look-ups, option reads,
 * interest changes) and a real pipeline, promises and an id.
 * <ul>
 * <li>A {@code tcp} check only connects: socket, getsockname (Netty's {@link Socket} asks the family), setsockopt
 * SO_LINGER, connect, epoll_ctl ADD (EPOLLOUT) and DEL, and close.</li>
 * <li>A check that talks ({@code http}, {@code https}, {@code agent}) gets a stream: the checker's handlers run in an
 * {@link EmbeddedChannel}, which is only memory. Its outbound bytes are written to the socket, and what the socket
 * reads is fed to it; the end of the stream closes it, as a channel's would. The socket is watched edge-triggered
 * for both directions from the start, so no interest ever changes: a write and one or two reads more.</li>
 * </ul>
 * Everything runs on the probe's loop.
 */
final class TcpConnect implements EpollIoHandle {
    /** IPPROTO_TCP (netinet/in.h) and TCP_QUICKACK (uapi linux/tcp.h). */
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_QUICKACK = 12;
    /** EPOLLIN, EPOLLOUT, EPOLLERR and EPOLLHUP, from uapi linux/eventpoll.h. */
    private static final int EPOLLIN = 0x001;
    private static final int EPOLLOUT = 0x004;
    private static final int EPOLLERR = 0x008;
    private static final int EPOLLHUP = 0x010;
    /** What a stream watches: readiness edges both ways, so that the interest set never changes. */
    private static final EpollIoOps STREAM = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT).with(EpollIoOps.EPOLLET);
    /** Read in pieces of this size; at most {@link #READS} of them per readiness, then the loop's other work. */
    private static final int READ_SIZE = 2048;
    private static final int READS = 16;

    private final ProbeContext ctx;
    private final IoEventLoop loop;
    private final Runnable connected;
    private final ChannelHandler handler;
    private final Consumer<Channel> talk;
    private final boolean speaksFirst;
    private Socket socket;
    private IoRegistration registration;
    /** A stream's pipeline, once connected; its outbound bytes not yet written. */
    private EmbeddedChannel pipe;
    private ByteBuf unwritten;
    /** Inside the pipeline: the probe may end there, and the pipeline is released after it returns. */
    private boolean feeding;
    private boolean released;

    private TcpConnect(ProbeContext ctx, IoEventLoop loop, Runnable connected, ChannelHandler handler,
                       Consumer<Channel> talk, boolean speaksFirst) {
        this.ctx = ctx;
        this.loop = loop;
        this.connected = connected;
        this.handler = handler;
        this.talk = talk;
        this.speaksFirst = speaksFirst;
    }

    /**
     * Connects to {@code ctx.target()} from a new socket, or from socket {@code adopt} when ≥ 0 (made in the probe
     * namespace; non-blocking, of the target's family), and runs {@code connected} when the handshake completes. A
     * failure at any step ends the probe as down with the reason.
     */
    static void start(ProbeContext ctx, IoEventLoop loop, int adopt, Runnable connected) {
        new TcpConnect(ctx, loop, connected, null, null, false).open(adopt);
    }

    /**
     * Like {@link #start}, then a stream: when the handshake completes, {@code handler} is set up in a pipeline of
     * its own and {@code talk} gets that pipeline's channel to write to. What the server sends is read into it; a
     * failure to read or write reaches the handlers as an exception, and the end of the stream as the channel's end.
     * With {@code speaksFirst} (the client writes at once: HTTP, TLS) the handshake's last acknowledgement waits for
     * the first bytes and rides on them.
     */
    static void stream(ProbeContext ctx, IoEventLoop loop, int adopt, ChannelHandler handler,
                       Consumer<Channel> talk, boolean speaksFirst) {
        new TcpConnect(ctx, loop, null, handler, talk, speaksFirst).open(adopt);
    }

    private void open(int adopt) {
        CheckConfig c = ctx.config();
        try {
            socket = adopt >= 0 ? new ProbeSocket(adopt)
                    : ProbeSocket.open(!(ctx.target().getAddress() instanceof Inet4Address));
        } catch (ChannelException e) {
            ctx.down("socket: " + ProbeTransport.message(e));
            return;
        }
        ctx.onDone(this::close);
        try {
            socket.setSoLinger(0); // the close resets: no orderly shutdown, no TIME_WAIT socket per probe
            if (ProbeTransport.delaysAck(c, speaksFirst)) {
                socket.setIntOpt(IPPROTO_TCP, TCP_QUICKACK, 0);
            }
        } catch (IOException | ChannelException e) { // Netty's option setters throw the latter
            ctx.down("socket: " + ProbeTransport.message(e));
            return;
        }
        if (c.bindInterface() != null) {
            try {
                socket.setRawOpt(ProbeTransport.SOL_SOCKET, ProbeTransport.SO_BINDTODEVICE,
                        ProbeTransport.ifname(c.bindInterface()));
            } catch (IOException | ChannelException | IllegalArgumentException e) {
                ctx.down("interface " + c.bindInterface() + ": " + ProbeTransport.message(e));
                return;
            }
        }
        boolean done;
        try {
            InetSocketAddress local = ProbeTransport.localAddress(c);
            if (local != null) {
                socket.bind(local);
            }
            done = socket.connect(ctx.target());
        } catch (IOException | ChannelException e) {
            ctx.down(ProbeTransport.message(e));
            return;
        }
        if (done && handler == null) {
            connected.run();
            return;
        }
        // A stream registers even when connected at once: the registration reports the socket writable then.
        Future<IoRegistration> f = loop.register(this); // done at once on the loop, and so is its listener
        f.addListener(x -> registered(f));
    }

    private void registered(Future<IoRegistration> f) {
        if (!f.isSuccess()) {
            ctx.down("epoll: " + ProbeTransport.message(f.cause()));
            return;
        }
        registration = f.getNow();
        if (ctx.finished()) {
            registration.cancel(); // ended meanwhile: the socket is already closed, nothing to delete
            return;
        }
        try {
            registration.submit(handler == null ? EpollIoOps.EPOLLOUT : STREAM);
        } catch (UncheckedIOException e) {
            ctx.down("epoll: " + ProbeTransport.message(e));
        }
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        if (ctx.finished()) {
            return;
        }
        int ops = ((EpollIoEvent) event).ops().value();
        guarded(() -> ready(ops));
    }

    private void ready(int ops) {
        if (pipe == null) {
            if (!connectedNow(ops)) {
                return;
            }
            if (handler == null) {
                connected.run();
                return;
            }
            pipe = new EmbeddedChannel(handler);
            talk.accept(pipe);
            flush();
        } else if ((ops & EPOLLOUT) != 0) {
            flush();
        }
        if ((ops & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
            read();
        }
    }

    /**
     * Runs {@code body}, which may call into the pipeline. Nothing may leave it: the loop would log it, sleep a second
     * and drop the other sockets' events of its batch (edge-triggered, they never come back), so the probe ends as
     * down instead. A probe that ended meanwhile has its pipeline released after the body returns.
     */
    private void guarded(Runnable body) {
        feeding = true;
        try {
            body.run();
            settle();
        } catch (Exception e) { // EmbeddedChannel rethrows checked exceptions unchecked
            ctx.down("probe: " + ProbeTransport.message(e));
        } finally {
            feeding = false;
            if (ctx.finished()) {
                release();
            }
        }
    }

    /** A handler that closed its pipeline without a verdict: the probe ends as a closed channel's would. */
    private void settle() {
        if (pipe != null && !ctx.finished() && !pipe.isOpen()) {
            pipe.runPendingTasks(); // the handlers' channelInactive
            if (!ctx.finished()) {
                ctx.down("connection closed");
            }
        }
    }

    /** Whether the connect succeeded; if not, the probe is down with the reason. */
    private boolean connectedNow(int ops) {
        if ((ops & (EPOLLERR | EPOLLHUP)) == 0) {
            return true;
        }
        try {
            socket.finishConnect(); // reads SO_ERROR and throws it
            ctx.down("connection closed at once");
        } catch (IOException e) {
            ctx.down(ProbeTransport.message(e));
        }
        return false;
    }

    /** Writes what the pipeline has written, until the socket takes no more (its next writable edge goes on). */
    private void flush() {
        pipe.runPendingTasks();
        while (!ctx.finished()) {
            if (unwritten == null) {
                Object m = pipe.readOutbound();
                if (m == null) {
                    return;
                }
                if (!(m instanceof ByteBuf b)) { // a channel fails such a write; nothing here writes one
                    ReferenceCountUtil.release(m);
                    ctx.down("request: cannot send a " + m.getClass().getSimpleName());
                    return;
                }
                if (b.hasMemoryAddress() || b.isDirect() && b.nioBufferCount() == 1) {
                    unwritten = b;
                } else { // a heap or composite buffer (TLS records are): the socket writes from direct memory
                    unwritten = pipe.alloc().directBuffer(b.readableBytes()).writeBytes(b);
                    b.release();
                }
            }
            try {
                while (unwritten.isReadable()) {
                    int n;
                    if (unwritten.hasMemoryAddress()) {
                        n = socket.writeAddress(unwritten.memoryAddress(), unwritten.readerIndex(),
                                unwritten.writerIndex());
                    } else {
                        java.nio.ByteBuffer nio = unwritten.internalNioBuffer(unwritten.readerIndex(),
                                unwritten.readableBytes());
                        n = socket.write(nio, nio.position(), nio.limit());
                    }
                    if (n == 0) {
                        return; // full: the socket's next writable edge resumes
                    }
                    unwritten.skipBytes(n);
                }
            } catch (IOException e) {
                failed(e);
                return;
            }
            unwritten.release();
            unwritten = null;
        }
    }

    /** Reads what the server sent into the pipeline, until the socket has no more, the stream ends or the probe does. */
    private void read() {
        for (int i = 0; i < READS && !ctx.finished(); i++) {
            ByteBuf b = pipe.alloc().directBuffer(READ_SIZE);
            int n;
            try {
                if (b.hasMemoryAddress()) {
                    n = socket.readAddress(b.memoryAddress(), 0, b.capacity());
                } else {
                    java.nio.ByteBuffer nio = b.internalNioBuffer(0, b.capacity());
                    n = socket.read(nio, nio.position(), nio.limit());
                }
            } catch (IOException e) {
                b.release();
                failed(e);
                return;
            }
            if (n > 0 && !pipe.isOpen()) { // a handler closed it: settle() ends the probe
                b.release();
                return;
            }
            if (n <= 0) {
                b.release();
                if (n < 0) { // the server's end of the stream
                    pipe.close();
                    pipe.runPendingTasks();
                    if (!ctx.finished()) {
                        ctx.down("connection closed");
                    }
                }
                return; // 0: nothing more until the socket's next readable edge
            }
            b.writerIndex(n);
            try {
                pipe.writeInbound(b);
            } catch (Exception e) { // an exception no handler took (EmbeddedChannel rethrows checked ones unchecked)
                ctx.down(ProbeTransport.message(e));
                return;
            }
            flush();
        }
        if (!ctx.finished()) {
            loop.execute(this::more); // edge-triggered: nothing reports what is left, so come back for it
        }
    }

    private void more() {
        if (!ctx.finished()) {
            guarded(this::read);
        }
    }

    /** A socket error reaches the handlers as a channel's would; the probe is down if none of them said so. */
    private void failed(IOException e) {
        pipe.pipeline().fireExceptionCaught(e);
        if (!ctx.finished()) {
            ctx.down(ProbeTransport.message(e));
        }
    }

    /**
     * Drops the registration (epoll_ctl DEL), then closes the socket (a reset); safe to call more than once. Not the
     * other way round: a script's child process forked meanwhile may hold the descriptor, and the epoll entry would
     * then outlive the close and report its EPOLLOUT to whichever new socket takes the same number. A stream's
     * pipeline is released here, or after the handler that ended the probe returns.
     */
    @Override
    public void close() {
        if (registration != null) {
            registration.cancel();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
        if (!feeding) {
            release();
        }
    }

    private void release() {
        if (pipe == null || released) {
            return;
        }
        released = true;
        if (unwritten != null) {
            unwritten.release();
            unwritten = null;
        }
        try {
            pipe.finishAndReleaseAll();
        } catch (Exception e) { // checked ones come rethrown unchecked
            // an exception the pipeline kept: the probe has its result already
        }
    }

    /** A {@link Socket} made with the target's family (Netty's own default is a dual-stack IPv6 one). */
    private static final class ProbeSocket extends Socket {
        ProbeSocket(int fd) {
            super(fd);
        }

        static ProbeSocket open(boolean ipv6) {
            return new ProbeSocket(newSocketStream0(ipv6));
        }
    }
}
