package io.lvsd.ipvs;

import java.io.IOException;
import java.util.List;

/**
 * The kernel's IPVS table. Two implementations: {@code NetlinkIpvsClient} (the real one) and
 * {@link InMemoryIpvsClient}, which enforces the kernel's rules for tests. Calls block; the
 * controller makes them from its driver thread only.
 */
public interface IpvsClient extends AutoCloseable {
    IpvsInfo info() throws IOException;

    /** Every service with its destinations and counters, in the kernel's order. */
    List<ServiceState> dump() throws IOException;

    /** Applies a batch: every operation is attempted and reported, in order. */
    ApplyResult apply(List<IpvsOp> ops) throws IOException;

    /** Current timeouts (tcp, tcp-fin, udp). */
    IpvsTimeouts timeouts() throws IOException;

    /** Sets the non-null timeouts. */
    void setTimeouts(IpvsTimeouts timeouts) throws IOException;

    List<SyncDaemon> daemons() throws IOException;

    void startDaemon(SyncDaemon daemon) throws IOException;

    void stopDaemon(SyncDaemon.Role role) throws IOException;

    /** Zeroes every counter. */
    void zero() throws IOException;

    /** Deletes every service. */
    void flush() throws IOException;

    @Override
    void close();
}
