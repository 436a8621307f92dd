package io.lvsd.linux;

import io.lvsd.linux.internal.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * The one facade over the Linux system calls lvsd makes. Every call that fails raises a
 * {@link NativeException} naming the operation and the errno; calls interrupted by a signal
 * ({@code EINTR}) are retried.
 *
 * <p>Constants come from the kernel's uapi headers ({@code linux/socket.h},
 * {@code asm-generic/socket.h}, {@code linux/sched.h}); they are the same on x86_64 and arm64.
 */
public final class LinuxNative {
    public static final int AF_UNIX = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    /** {@code SO_RCVTIMEO_OLD} in asm-generic/socket.h: takes a 64-bit {@code struct timeval}. */
    public static final int SO_RCVTIMEO = 20;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_RAW = 3;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;

    private static volatile LinuxNative instance;

    private final LibC libc;
    private final Runtime runtime;

    private LinuxNative(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
    }

    /** The process-wide facade; libc is bound on first use. */
    public static LinuxNative get() {
        LinuxNative n = instance;
        if (n == null) {
            synchronized (LinuxNative.class) {
                n = instance;
                if (n == null) {
                    n = new LinuxNative(LibraryLoader.create(LibC.class).load("c"));
                    instance = n;
                }
            }
        }
        return n;
    }

    /** {@code socket(2)}. */
    public int socket(int domain, int type, int protocol, String what) throws NativeException {
        while (true) {
            int fd = libc.socket(domain, type, protocol);
            if (fd >= 0) {
                return fd;
            }
            checkRetry("socket(" + what + ")");
        }
    }

    /** {@code bind(2)}. */
    public void bind(int fd, byte[] sockaddr, String what) throws NativeException {
        while (libc.bind(fd, sockaddr, sockaddr.length) != 0) {
            checkRetry("bind(" + what + ")");
        }
    }

    /** {@code sendto(2)}; returns the number of bytes sent. */
    public long sendTo(int fd, byte[] data, byte[] sockaddr, String what) throws NativeException {
        while (true) {
            long n = libc.sendto(fd, data, data.length, 0, sockaddr, sockaddr.length);
            if (n >= 0) {
                return n;
            }
            checkRetry("sendto(" + what + ")");
        }
    }

    /**
     * {@code recvfrom(2)}; returns the number of bytes received, or -1 when a receive timeout
     * set with {@link #setReceiveTimeout} expired ({@code EAGAIN}).
     */
    public long receive(int fd, byte[] buffer, String what) throws NativeException {
        byte[] from = new byte[128];
        int[] fromLen = {from.length};
        while (true) {
            long n = libc.recvfrom(fd, buffer, buffer.length, 0, from, fromLen);
            if (n >= 0) {
                return n;
            }
            int errno = runtime.getLastError();
            if (errno == EAGAIN) {
                return -1;
            }
            if (errno != EINTR) {
                throw error("recvfrom(" + what + ")", errno);
            }
        }
    }

    /** {@code setsockopt(SOL_SOCKET, SO_RCVTIMEO)}; zero means block forever. */
    public void setReceiveTimeout(int fd, long millis, String what) throws NativeException {
        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        tv.putLong(millis / 1000).putLong((millis % 1000) * 1000);
        while (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv.array(), 16) != 0) {
            checkRetry("setsockopt(" + what + ", SO_RCVTIMEO)");
        }
    }

    /** {@code setsockopt(2)} with an {@code int} value. */
    public void setIntOption(int fd, int level, int name, int value, String what) throws NativeException {
        byte[] v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        while (libc.setsockopt(fd, level, name, v, 4) != 0) {
            checkRetry("setsockopt(" + what + ")");
        }
    }

    /** {@code open(2)} read-only, close-on-exec. */
    public int openReadOnly(String path) throws NativeException {
        while (true) {
            int fd = libc.open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            checkRetry("open(" + path + ")");
        }
    }

    /** {@code setns(2)}: moves the calling thread into the namespace {@code fd} refers to. */
    public void setns(int fd, int nstype, String what) throws NativeException {
        while (libc.setns(fd, nstype) != 0) {
            checkRetry("setns(" + what + ")");
        }
    }

    /** {@code close(2)}; EINTR is not retried, as on Linux the descriptor is released anyway. */
    public void close(int fd) {
        libc.close(fd);
    }

    /**
     * Builds a {@code struct sockaddr_un}. A path starting with {@code @} names the abstract
     * namespace (the leading byte becomes NUL and no terminator follows), as systemd's
     * {@code NOTIFY_SOCKET} does.
     */
    public static byte[] sockaddrUnix(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path.startsWith("@");
        int len = 2 + p.length + (abstractName ? 0 : 1);
        if (p.length == 0 || len > 110) {
            throw new IllegalArgumentException("unix socket path: \"" + path + "\" (expected 1-107 bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_UNIX).put(p);
        byte[] out = b.array();
        if (abstractName) {
            out[2] = 0;
        }
        return out;
    }

    /** {@code struct sockaddr_nl}: family, padding, port id, multicast groups. */
    public static byte[] sockaddrNetlink(int portId, int groups) {
        return ByteBuffer.allocate(12).order(ByteOrder.nativeOrder())
                .putShort((short) AF_NETLINK).putShort((short) 0).putInt(portId).putInt(groups).array();
    }

    /** The symbolic name of an errno, e.g. {@code EEXIST}. */
    public static String errnoName(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    /** {@code strerror(3)}. */
    public String describe(int errno) {
        return libc.strerror(errno);
    }

    private void checkRetry(String operation) throws NativeException {
        int errno = runtime.getLastError();
        if (errno != EINTR) {
            throw error(operation, errno);
        }
    }

    private NativeException error(String operation, int errno) {
        return new NativeException(operation, errno, errnoName(errno), libc.strerror(errno));
    }
}
