package io.lvsd.linux;

import io.lvsd.linux.internal.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The one facade over the Linux system calls lvsd makes. Every call that fails raises a
 * {@link NativeException} naming the operation and the errno; calls interrupted by a signal
 * ({@code EINTR}) are retried.
 *
 * <p>Constants come from the kernel's uapi headers ({@code linux/socket.h},
 * {@code asm-generic/socket.h}, {@code linux/sched.h}, {@code linux/in.h}, {@code linux/in6.h},
 * {@code linux/if_ether.h}); they are the same on x86_64 and arm64, as is the LP64 layout of
 * {@code struct msghdr} used by {@link #receiveMessage} and {@link #sendMessage}.
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
    public static final int ESRCH = 3;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOBUFS = 105;
    public static final int EADDRNOTAVAIL = 99;
    public static final int EBADF = 9;
    public static final int ENOTCONN = 107;
    /** {@code shutdown(2)}'s {@code how}: no more receptions. */
    public static final int SHUT_RD = 0;
    public static final int SO_BINDTODEVICE = 25;
    /** {@code SO_ATTACH_FILTER}: takes a {@code struct sock_fprog} (a classic BPF program). */
    public static final int SO_ATTACH_FILTER = 26;
    /**
     * {@code SO_RXQ_OVFL}: every received datagram then carries a control message of that type with a {@code u32},
     * the number of datagrams the socket has dropped so far (its {@code sk_drops}: a full receive queue).
     */
    public static final int SO_RXQ_OVFL = 40;
    /** {@code SO_MEMINFO}: reads {@code u32[SK_MEMINFO_VARS]} (linux/sock_diag.h). */
    public static final int SO_MEMINFO = 55;
    /** {@code SK_MEMINFO_DROPS}: the index of the socket's drop count in {@link #SO_MEMINFO}'s array. */
    public static final int SK_MEMINFO_DROPS = 8;
    /**
     * {@code SO_TIMESTAMPNS_OLD} in asm-generic/socket.h, which {@code SO_TIMESTAMPNS} is where {@code time_t} is 64
     * bits; the {@code SCM_TIMESTAMPNS} control message has the same number and carries a {@code struct timespec}
     * of {@code CLOCK_REALTIME}.
     */
    public static final int SO_TIMESTAMPNS = 35;
    /** {@code MSG_PEEK} and {@code MSG_DONTWAIT} in linux/socket.h. */
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_DONTWAIT = 0x40;

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_PACKET = 17;
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IP_HDRINCL = 3;
    public static final int IP_MULTICAST_IF = 32;
    public static final int IP_MULTICAST_LOOP = 34;
    public static final int IP_ADD_MEMBERSHIP = 35;
    public static final int IPV6_UNICAST_HOPS = 16;
    public static final int IPV6_MULTICAST_IF = 17;
    public static final int IPV6_MULTICAST_HOPS = 18;
    public static final int IPV6_MULTICAST_LOOP = 19;
    public static final int IPV6_ADD_MEMBERSHIP = 20;
    public static final int IPV6_RECVPKTINFO = 49;
    public static final int IPV6_PKTINFO = 50;
    public static final int IPV6_RECVHOPLIMIT = 51;
    public static final int IPV6_HOPLIMIT = 52;
    public static final int IPV6_TCLASS = 67;
    public static final int SIGKILL = 9;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    /** SOL_SOCKET option: the mark policy routing and netfilter match (asm-generic/socket.h). */
    public static final int SO_MARK = 36;
    /** SOL_SOCKET control message passing file descriptors (linux/socket.h). */
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    private static final int MSGHDR_SIZE = 56;
    private static final int IOVEC_SIZE = 16;

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
    public long sendTo(int fd, byte[] data, byte[] sockaddr, Object what) throws NativeException {
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

    /**
     * Whether a datagram waits in the socket's receive queue: a zero-length {@code recv(2)} with {@code MSG_PEEK |
     * MSG_DONTWAIT} that takes nothing and never blocks. Safe while another thread receives on the socket.
     */
    public boolean hasQueued(int fd, String what) throws NativeException {
        while (true) {
            // A zero-length peek into no buffer: nothing to marshal, and it still says whether a datagram waits.
            if (libc.recv(fd, null, 0, MSG_PEEK | MSG_DONTWAIT) >= 0) {
                return true;
            }
            int errno = runtime.getLastError();
            if (errno == EAGAIN) {
                return false;
            }
            if (errno != EINTR) {
                throw error("recv(" + what + ", MSG_PEEK)", errno);
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

    /** {@code setsockopt(2)} with a structure given as bytes. */
    public void setOption(int fd, int level, int name, byte[] value, String what) throws NativeException {
        while (libc.setsockopt(fd, level, name, value, value.length) != 0) {
            checkRetry("setsockopt(" + what + ")");
        }
    }

    /**
     * {@code setsockopt(SO_ATTACH_FILTER)}: the kernel runs {@code program} ({@code struct sock_filter}s, 8 bytes
     * each) on every packet before queueing it on the socket, replacing any program attached before.
     */
    public void attachFilter(int fd, byte[] program, String what) throws NativeException {
        int count = program.length / 8;
        if (count == 0 || count > 0xffff || program.length % 8 != 0) {
            throw new IllegalArgumentException("a classic BPF program of " + program.length + " bytes");
        }
        Pointer code = Memory.allocateDirect(runtime, program.length);
        code.put(0, program, 0, program.length);
        // struct sock_fprog: unsigned short len, (6 bytes of padding), struct sock_filter *filter
        byte[] fprog = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putShort((short) count)
                .putShort((short) 0).putInt(0).putLong(code.address()).array();
        // The kernel copies the program during the call; code is reachable until it returns.
        while (libc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, fprog.length) != 0) {
            checkRetry("setsockopt(" + what + ", SO_ATTACH_FILTER)");
        }
        java.lang.ref.Reference.reachabilityFence(code);
    }

    /**
     * How many packets the kernel has dropped on socket {@code fd} (its {@code sk_drops}: mostly a full receive
     * queue), read with {@code getsockopt(SO_MEMINFO)}; any socket, any thread.
     */
    public long socketDrops(int fd, String what) throws NativeException {
        byte[] info = new byte[4 * (SK_MEMINFO_DROPS + 1)];
        int[] len = {info.length};
        while (libc.getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, len) != 0) {
            checkRetry("getsockopt(" + what + ", SO_MEMINFO)");
        }
        if (len[0] < info.length) {
            throw new NativeException("getsockopt(" + what + ", SO_MEMINFO)", 0, "short",
                    len[0] + " bytes, no drop count (a kernel before 4.x)");
        }
        return ByteBuffer.wrap(info).order(ByteOrder.nativeOrder()).getInt(4 * SK_MEMINFO_DROPS) & 0xffffffffL;
    }

    /** {@code setsockopt(SO_BINDTODEVICE)}: the socket sends and receives on {@code ifname} only. */
    public void bindToDevice(int fd, String ifname, String what) throws NativeException {
        byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        byte[] v = new byte[name.length + 1];
        System.arraycopy(name, 0, v, 0, name.length);
        setOption(fd, SOL_SOCKET, SO_BINDTODEVICE, v, what + ", SO_BINDTODEVICE " + ifname);
    }

    /** What {@link #receiveMessage} got: byte counts of data, source address and ancillary data. */
    public record Received(int length, int nameLength, int controlLength, int flags) {
    }

    /**
     * {@code recvmsg(2)} into {@code buffer}, the source address into {@code name} and ancillary
     * data ({@code struct cmsghdr}s) into {@code control}; null when a receive timeout expired.
     */
    public Received receiveMessage(int fd, byte[] buffer, byte[] name, byte[] control, String what)
            throws NativeException {
        return receiveMessage(fd, buffer, name, control, 0, what);
    }

    /** {@link #receiveMessage(int, byte[], byte[], byte[], String)} with {@code recvmsg(2)} flags. */
    public Received receiveMessage(int fd, byte[] buffer, byte[] name, byte[] control, int flags, String what)
            throws NativeException {
        Pointer data = Memory.allocateDirect(runtime, buffer.length);
        Pointer nm = Memory.allocateDirect(runtime, Math.max(1, name.length));
        Pointer ctl = Memory.allocateDirect(runtime, Math.max(1, control.length));
        Pointer iov = Memory.allocateDirect(runtime, IOVEC_SIZE);
        iov.putAddress(0, data.address());
        iov.putLong(8, buffer.length);
        Pointer msg = Memory.allocateDirect(runtime, MSGHDR_SIZE);
        while (true) {
            msg.putAddress(0, nm.address());
            msg.putInt(8, name.length);
            msg.putAddress(16, iov.address());
            msg.putLong(24, 1);
            msg.putAddress(32, ctl.address());
            msg.putLong(40, control.length);
            msg.putInt(48, 0);
            long n = libc.recvmsg(fd, msg, flags);
            if (n >= 0) {
                int nameLen = Math.min(name.length, msg.getInt(8));
                int ctlLen = (int) Math.min(control.length, msg.getLong(40));
                data.get(0, buffer, 0, (int) Math.min(n, buffer.length));
                nm.get(0, name, 0, nameLen);
                ctl.get(0, control, 0, ctlLen);
                return new Received((int) n, nameLen, ctlLen, msg.getInt(48));
            }
            int errno = runtime.getLastError();
            if (errno == EAGAIN) {
                return null;
            }
            if (errno != EINTR) {
                throw error("recvmsg(" + what + ")", errno);
            }
        }
    }

    /** {@code sendmsg(2)} of {@code data} to {@code name} with ancillary data (may be empty). */
    public long sendMessage(int fd, byte[] data, byte[] name, byte[] control, Object what) throws NativeException {
        Pointer d = Memory.allocateDirect(runtime, Math.max(1, data.length));
        d.put(0, data, 0, data.length);
        Pointer nm = Memory.allocateDirect(runtime, Math.max(1, name.length));
        nm.put(0, name, 0, name.length);
        Pointer ctl = Memory.allocateDirect(runtime, Math.max(1, control.length));
        ctl.put(0, control, 0, control.length);
        Pointer iov = Memory.allocateDirect(runtime, IOVEC_SIZE);
        iov.putAddress(0, d.address());
        iov.putLong(8, data.length);
        Pointer msg = Memory.allocateDirect(runtime, MSGHDR_SIZE);
        msg.putAddress(0, nm.address());
        msg.putInt(8, name.length);
        msg.putAddress(16, iov.address());
        msg.putLong(24, 1);
        msg.putAddress(32, control.length == 0 ? 0 : ctl.address());
        msg.putLong(40, control.length);
        msg.putInt(48, 0);
        while (true) {
            long n = libc.sendmsg(fd, msg, 0);
            if (n >= 0) {
                return n;
            }
            checkRetry("sendmsg(" + what + ")");
        }
    }

    /** {@code kill(2)}; a negative {@code pid} signals a process group. False if it is gone (ESRCH). */
    public boolean kill(int pid, int signal) throws NativeException {
        while (libc.kill(pid, signal) != 0) {
            int errno = runtime.getLastError();
            if (errno == ESRCH) {
                return false;
            }
            if (errno != EINTR) {
                throw error("kill(" + pid + ", " + signal + ")", errno);
            }
        }
        return true;
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

    /** {@code SCHED_OTHER}, {@code SCHED_FIFO} and {@code SCHED_RESET_ON_FORK} in linux/sched.h. */
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_FIFO = 1;
    public static final int SCHED_RESET_ON_FORK = 0x40000000;

    /**
     * {@code sched_setscheduler(2)} for the calling thread ({@code pid} 0 names the caller, not the process):
     * {@link #SCHED_FIFO} at {@code priority} 1-99, or {@link #SCHED_OTHER} with priority 0. Raising a thread to a
     * real-time policy needs {@code CAP_SYS_NICE} or an {@code RLIMIT_RTPRIO} of at least {@code priority}, and no
     * seccomp filter against it (systemd's {@code RestrictRealtime=yes}). With {@link #SCHED_RESET_ON_FORK}: a child
     * the thread starts runs at the ordinary policy.
     */
    public void scheduleThisThread(int policy, int priority) throws NativeException {
        scheduleThread(0, policy, priority);
    }

    /** {@link #scheduleThisThread} for the thread {@code tid} of this process (0: the caller). */
    public void scheduleThread(int tid, int policy, int priority) throws NativeException {
        while (libc.sched_setscheduler(tid, policy | SCHED_RESET_ON_FORK, new int[] {priority}) != 0) {
            checkRetry("sched_setscheduler(" + (tid == 0 ? "" : "thread " + tid + ", ")
                    + (policy == SCHED_FIFO ? "SCHED_FIFO, " + priority : "SCHED_OTHER") + ")");
        }
    }

    /** {@code sched_getscheduler(2)} for the calling thread: its policy, without {@link #SCHED_RESET_ON_FORK}. */
    public int schedulerOfThisThread() throws NativeException {
        while (true) {
            int policy = libc.sched_getscheduler(0);
            if (policy >= 0) {
                return policy & ~SCHED_RESET_ON_FORK;
            }
            checkRetry("sched_getscheduler");
        }
    }

    /**
     * {@code dup3(2)}: makes {@code newfd} refer to what {@code oldfd} refers to (closing what it referred to before),
     * close-on-exec.
     */
    public void dup3(int oldfd, int newfd, String what) throws NativeException {
        while (libc.dup3(oldfd, newfd, O_CLOEXEC) < 0) {
            checkRetry("dup3(" + what + ")");
        }
    }

    /** A control message ({@code struct cmsghdr}, 64-bit) that passes {@code fd} with {@code SCM_RIGHTS}. */
    public static byte[] rightsControl(int fd) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.nativeOrder());
        b.putLong(0, 20); // cmsg_len: CMSG_LEN(sizeof(int)), the 16-byte header and the descriptor
        b.putInt(8, SOL_SOCKET);
        b.putInt(12, SCM_RIGHTS);
        b.putInt(16, fd);
        return b.array();
    }

    /**
     * The descriptors an {@code SCM_RIGHTS} control message in {@code control[0, length)} passed (64-bit layout), in
     * order; empty when there is none.
     */
    public static int[] passedDescriptors(byte[] control, int length) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(control, 0, length).order(java.nio.ByteOrder.nativeOrder());
        java.util.List<Integer> fds = new java.util.ArrayList<>();
        int at = 0;
        while (at + 16 <= length) {
            long len = b.getLong(at);
            if (len < 16 || at + len > length) {
                break;
            }
            if (b.getInt(at + 8) == SOL_SOCKET && b.getInt(at + 12) == SCM_RIGHTS) {
                for (int i = at + 16; i + 4 <= at + len; i += 4) {
                    fds.add(b.getInt(i));
                }
            }
            at += (int) ((len + 7) & ~7L); // CMSG_ALIGN
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * {@code shutdown(2)}: wakes a thread blocked receiving on {@code fd} ({@code SHUT_RD}: its {@code recvmsg} returns
     * what is still queued, then 0 without waiting). A socket that is not connected, as a raw or UDP socket usually
     * is, is shut down all the same, and then the call fails with {@code ENOTCONN}: Linux's {@code inet_shutdown}
     * (net/ipv4/af_inet.c, also IPv6's) sets {@code sk_shutdown} and wakes the socket's waiters in the
     * {@code TCP_CLOSE} case before returning that error. So {@code ENOTCONN} is success here.
     */
    public void shutdown(int fd, int how, String what) throws NativeException {
        while (libc.shutdown(fd, how) != 0) {
            int errno = runtime.getLastError();
            if (errno == ENOTCONN) {
                return;
            }
            if (errno != EINTR) {
                throw error("shutdown(" + what + ")", errno);
            }
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

    /** {@code struct sockaddr_in} for {@code address} (4 bytes), port 0. */
    public static byte[] sockaddrIn(byte[] address) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_INET).putShort((short) 0).put(address);
        return b.array();
    }

    /** {@code struct sockaddr_in6} for {@code address} (16 bytes) with a scope id (interface index). */
    public static byte[] sockaddrIn6(byte[] address, int scopeId) {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_INET6).putShort((short) 0).putInt(0).put(address).putInt(scopeId);
        return b.array();
    }

    /** {@code struct sockaddr_ll} for sending on interface {@code ifindex} (protocol in host order). */
    public static byte[] sockaddrLl(int ifindex, int protocol, byte[] mac) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_PACKET);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) protocol).order(ByteOrder.nativeOrder());
        b.putInt(ifindex).putShort((short) 1).put((byte) 0).put((byte) mac.length).put(mac);
        return b.array();
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
