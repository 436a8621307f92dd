package io.lvsd.ipvs;

/**
 * Scheduler flags (IP_VS_SVC_F_SCHED1..3 in include/uapi/linux/ip_vs.h), which mean different
 * things to sh and mh.
 */
public enum SchedulerFlag {
    SH_FALLBACK("sh-fallback", Scheduler.SH, 0x0008),
    SH_PORT("sh-port", Scheduler.SH, 0x0010),
    MH_FALLBACK("mh-fallback", Scheduler.MH, 0x0008),
    MH_PORT("mh-port", Scheduler.MH, 0x0010);

    private final String key;
    private final Scheduler scheduler;
    private final int bit;

    SchedulerFlag(String key, Scheduler scheduler, int bit) {
        this.key = key;
        this.scheduler = scheduler;
        this.bit = bit;
    }

    public String key() {
        return key;
    }

    /** The only scheduler this flag applies to. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The service flag bit. */
    public int bit() {
        return bit;
    }
}
