package io.lvsd.controller.ipvs;

import java.util.List;

/**
 * The IPVS part of {@code /status}: the live kernel table and how reconciling went. A service's
 * {@code rule} is its line as {@code lvsd ipvs save} writes it (scheduler, persistence, flags); its rates
 * ({@code cps}, packets and bytes per second) are the kernel's own estimates, as {@code ipvsadm -Ln --rate} shows.
 */
public record IpvsStatus(boolean available, String error, String lastReconcile, long driftCorrections,
                         List<String> lastFailures, List<String> foreignServices, List<Service> services) {

    /**
     * @param destinationOrder the kernel's destination list, head to tail, as {@code address/weight}: what an mh
     *                         table is built from (the real servers above are in ipvsadm's sorted order)
     */
    public record Service(String name, String service, String scheduler, String rule, long connections,
                          long inPackets, long outPackets, long inBytes, long outBytes, long cps, long inPps,
                          long outPps, long inBps, long outBps, List<RealServer> realServers,
                          List<String> destinationOrder) {
    }

    public record RealServer(String address, String forwarding, int weight, long activeConnections,
                             long inactiveConnections, long connections) {
    }
}
