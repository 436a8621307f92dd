package io.lvsd.healthcheck;

import io.netty.channel.ChannelException;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * One TCP connect of a probe, without a channel: a non-blocking socket that the probe's epoll loop watches for the
 * end of the handshake, closed with a reset when the probe ends. A channel costs ten more system calls per probe
 * (address look-ups, option reads, interest changes) and a pipeline, promises and an id; this costs socket,
 * getsockname (Netty's {@link Socket} asks the family), setsockopt SO_LINGER, connect, epoll_ctl ADD and DEL, and
 * close. Everything runs on the probe's loop.
 */
final class TcpConnect implements EpollIoHandle {
    /** IPPROTO_TCP (netinet/in.h) and TCP_QUICKACK (uapi linux/tcp.h). */
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_QUICKACK = 12;
    /** EPOLLERR and EPOLLHUP, from uapi linux/eventpoll.h: the connect failed (or the connection died at once). */
    private static final int EPOLLERR = 0x008;
    private static final int EPOLLHUP = 0x010;

    private final ProbeContext ctx;
    private final Socket socket;
    private final Runnable connected;
    private IoRegistration registration;

    private TcpConnect(ProbeContext ctx, Socket socket, Runnable connected) {
        this.ctx = ctx;
        this.socket = socket;
        this.connected = connected;
    }

    /**
     * Connects to {@code ctx.target()} from a new socket, or from socket {@code adopt} when ≥ 0 (made in the probe
     * namespace; non-blocking, of the target's family), and runs {@code connected} when the handshake completes. A
     * failure at any step ends the probe as down with the reason.
     */
    static void start(ProbeContext ctx, IoEventLoop loop, int adopt, Runnable connected) {
        CheckConfig c = ctx.config();
        Socket s;
        try {
            s = adopt >= 0 ? new ProbeSocket(adopt)
                    : ProbeSocket.open(!(ctx.target().getAddress() instanceof Inet4Address));
        } catch (ChannelException e) {
            ctx.down("socket: " + ProbeTransport.message(e));
            return;
        }
        TcpConnect p = new TcpConnect(ctx, s, connected);
        ctx.onDone(p::close);
        try {
            s.setSoLinger(0); // the close resets: no orderly shutdown, no TIME_WAIT socket per probe
            if (c.spec() instanceof CheckSpec.Tcp tcp && tcp.halfOpen()) {
                // The server's SYN-ACK is acknowledged only with delay (as if data were to follow), and the reset
                // comes first: the connection dies in the server's SYN queue, never accepted.
                s.setIntOpt(IPPROTO_TCP, TCP_QUICKACK, 0);
            }
        } catch (IOException | ChannelException e) { // Netty's option setters throw the latter
            ctx.down("socket: " + ProbeTransport.message(e));
            return;
        }
        if (c.bindInterface() != null) {
            try {
                s.setRawOpt(ProbeTransport.SOL_SOCKET, ProbeTransport.SO_BINDTODEVICE,
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
                s.bind(local);
            }
            done = s.connect(ctx.target());
        } catch (IOException | ChannelException e) {
            ctx.down(ProbeTransport.message(e));
            return;
        }
        if (done) {
            connected.run();
            return;
        }
        Future<IoRegistration> f = loop.register(p); // done at once on the loop, and so is its listener
        f.addListener(x -> p.registered(f));
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
            registration.submit(EpollIoOps.EPOLLOUT);
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
        if ((ops & (EPOLLERR | EPOLLHUP)) == 0) {
            connected.run();
            return;
        }
        try {
            socket.finishConnect(); // reads SO_ERROR and throws it
            ctx.down("connection closed at once");
        } catch (IOException e) {
            ctx.down(ProbeTransport.message(e));
        }
    }

    /**
     * Drops the registration (epoll_ctl DEL), then closes the socket (a reset); safe to call more than once. Not the
     * other way round: a script's child process forked meanwhile may hold the descriptor, and the epoll entry would
     * then outlive the close and report its EPOLLOUT to whichever new socket takes the same number.
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
