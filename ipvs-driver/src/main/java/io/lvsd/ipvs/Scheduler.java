package io.lvsd.ipvs;

import java.util.Locale;

/**
 * The kernel's IPVS schedulers (net/netfilter/ipvs/ip_vs_*.c), by the name the kernel uses.
 * {@code twos} needs Linux 6.2 or later; older kernels refuse it with ENOENT.
 */
public enum Scheduler {
    RR, WRR, LC, WLC, LBLC, LBLCR, DH, SH, SED, NQ, FO, OVF, MH, TWOS;

    /** The kernel's name, e.g. {@code wlc}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
