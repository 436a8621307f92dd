package io.lvsd.ipvs;

import java.util.List;

/** One service of a dumped table, with its counters and destinations. */
public record ServiceState(VirtualService service, Stats stats, List<DestinationState> destinations) {
    public ServiceState {
        destinations = List.copyOf(destinations);
    }

    /** One destination of a dumped table, with its connection counts and counters. */
    public record DestinationState(Destination destination, long activeConnections, long inactiveConnections,
                                   long persistentConnections, Stats stats) {
    }
}
