package io.lvsd.ipvs;

/** How a real server is reached (IP_VS_CONN_F_* forwarding methods in ip_vs.h). */
public enum Forwarding {
    /** LVS-NAT: IP_VS_CONN_F_MASQ. */
    NAT("nat", 0),
    /** LVS-DR, direct routing: IP_VS_CONN_F_DROUTE. */
    DR("dr", 3),
    /** LVS-TUN, IP tunnelling: IP_VS_CONN_F_TUNNEL. */
    TUN("tun", 2),
    /** The kernel's own choice when the destination is a local address: IP_VS_CONN_F_LOCALNODE. */
    LOCAL("local", 1),
    /** Cache bypass: IP_VS_CONN_F_BYPASS. */
    BYPASS("bypass", 4);

    private final String key;
    private final int kernelValue;

    Forwarding(String key, int kernelValue) {
        this.key = key;
        this.kernelValue = kernelValue;
    }

    public String key() {
        return key;
    }

    public int kernelValue() {
        return kernelValue;
    }

    /** True when the real server must listen on the virtual port (no NAT to remap it). */
    public boolean keepsPort() {
        return this == DR || this == TUN;
    }

    /** The method for a kernel value (the IP_VS_CONN_F_FWD_MASK bits). */
    public static Forwarding ofKernel(long value) {
        for (Forwarding f : values()) {
            if (f.kernelValue == (value & 7)) {
                return f;
            }
        }
        throw new IllegalArgumentException("forwarding method: " + value + " (expected 0-4)");
    }
}
