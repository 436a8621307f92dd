package io.lvsd.linux;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside a named network namespace ({@code ip netns add NAME}, found under
 * {@code /run/netns}). A network namespace is a per-thread attribute in Linux, so the work runs
 * on a fresh thread that enters the namespace with {@code setns(2)} and then ends; sockets it
 * opens belong to that namespace for their whole life.
 */
public final class NetNamespace {
    private NetNamespace() {
    }

    /** Runs {@code work} in namespace {@code name} and returns its result. */
    public static <T> T call(String name, Callable<T> work) throws Exception {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("network namespace: \"" + name + "\" (expected a name under /run/netns)");
        }
        FutureTask<T> task = new FutureTask<>(() -> {
            LinuxNative linux = LinuxNative.get();
            int fd = linux.openReadOnly("/run/netns/" + name);
            try {
                linux.setns(fd, LinuxNative.CLONE_NEWNET, "netns " + name);
            } finally {
                linux.close(fd);
            }
            return work.call();
        });
        Thread t = new Thread(task, "netns-" + name);
        t.setDaemon(true);
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }
}
