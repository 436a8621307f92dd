package io.lvsd.linux;

import java.io.IOException;

/**
 * A failed system call. The message names the operation and the errno, for example
 * {@code sendto(AF_UNIX /run/systemd/notify): ECONNREFUSED (Connection refused)}.
 */
public class NativeException extends IOException {
    private final String operation;
    private final int errno;
    private final String errnoName;

    public NativeException(String operation, int errno, String errnoName, String description) {
        super(operation + ": " + errnoName + (description == null || description.isEmpty() ? "" : " (" + description + ")"));
        this.operation = operation;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The operation that failed, as written in the message, e.g. {@code setns(lvsd-demo-d1)}. */
    public String operation() {
        return operation;
    }

    /** The numeric errno. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno, e.g. {@code EEXIST}. */
    public String errnoName() {
        return errnoName;
    }
}
