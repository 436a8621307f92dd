package io.lvsd.doctor;

import java.util.List;

/**
 * The live IPVS table held against the one the configuration asks for, as the controller computes it: what is
 * missing, what differs, what is there that the configuration does not name, and the connection timeouts.
 *
 * @param unavailable  why the table could not be read, or {@code null}
 * @param services     how many services the configuration asks for
 * @param missing      services the configuration asks for that the kernel lacks ({@code TCP 10.0.0.100:80})
 * @param changed      services whose settings differ (scheduler, persistence, flags), each with the difference
 * @param destinations destination differences (a real server missing, an extra one, another weight)
 * @param foreign      services in the kernel that the configuration does not name
 * @param tcp          the established-TCP timeout, seconds
 * @param tcpFin       the TCP FIN_WAIT timeout, seconds
 * @param udp          the UDP timeout, seconds
 */
public record KernelTable(String unavailable, int services, List<String> missing, List<String> changed,
                          List<String> destinations, List<String> foreign, long tcp, long tcpFin, long udp) {
    public KernelTable {
        missing = List.copyOf(missing);
        changed = List.copyOf(changed);
        destinations = List.copyOf(destinations);
        foreign = List.copyOf(foreign);
    }

    /** A table that could not be read, and why. */
    public static KernelTable unavailable(String why) {
        return new KernelTable(why, 0, List.of(), List.of(), List.of(), List.of(), 0, 0, 0);
    }
}
