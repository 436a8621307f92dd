package io.lvsd.ipvs;

/**
 * IPVS counters (since the service or destination was added, or zeroed) and rates (per second,
 * estimated by the kernel every 2 s), from IPVS_*_ATTR_STATS64.
 */
public record Stats(long connections, long inPackets, long outPackets, long inBytes, long outBytes,
                    long cps, long inPps, long outPps, long inBps, long outBps) {
    public static final Stats ZERO = new Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
