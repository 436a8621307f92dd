package io.lvsd.linux.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc entry points lvsd binds through jnr-ffi. Only {@link io.lvsd.linux.LinuxNative}
 * calls these; everything else goes through that facade.
 */
public interface LibC {
    int socket(int domain, int type, int protocol);

    int bind(int fd, @In byte[] addr, int addrLen);

    @ssize_t long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] addr, int addrLen);

    @ssize_t long recvfrom(int fd, @Out byte[] buf, @size_t long len, int flags, @Out byte[] addr, @In @Out int[] addrLen);

    @ssize_t long recv(int fd, Pointer buf, @size_t long len, int flags);

    int setsockopt(int fd, int level, int name, @In byte[] value, int len);

    int getsockopt(int fd, int level, int name, @Out byte[] value, @In @Out int[] len);

    @ssize_t long recvmsg(int fd, Pointer msg, int flags);

    @ssize_t long sendmsg(int fd, Pointer msg, int flags);

    int kill(int pid, int sig);

    int open(String path, int flags);

    int close(int fd);

    int shutdown(int fd, int how);

    int setns(int fd, int nstype);

    int dup3(int oldfd, int newfd, int flags);

    int sched_setscheduler(int pid, int policy, @In int[] param);

    int sched_getscheduler(int pid);

    String strerror(int errnum);
}
