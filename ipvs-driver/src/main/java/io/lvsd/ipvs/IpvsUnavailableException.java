package io.lvsd.ipvs;

import java.io.IOException;

/** The kernel has no IPVS (no "IPVS" generic-netlink family): the one sentence operators see. */
public final class IpvsUnavailableException extends IOException {
    public static final String MESSAGE = "IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)";

    public IpvsUnavailableException() {
        super(MESSAGE);
    }
}
