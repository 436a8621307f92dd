package io.lvsd.sync;

import java.io.IOException;

/** lvsd's own place on the sync group: hears it (through a {@link SyncWatcher.Listener}) and sends to it. */
public interface SyncGroupSocket extends AutoCloseable {
    /**
     * Sends {@code datagram} to the group from this director's address on the interface, as the kernel's master
     * daemon does, and not back to this director.
     */
    void send(byte[] datagram) throws IOException;

    /** The interface's MTU when the socket opened: no datagram may be larger with its IP and UDP headers. */
    int mtu() throws IOException;

    @Override
    void close();
}
