package io.lvsd.ipvs;

/** How a real server is reached (IP_VS_CONN_F_* forwarding methods in ip_vs.h). */
public enum Forwarding {
    /** LVS-NAT: IP_VS_CONN_F_MASQ. */
    NAT("nat", 0),
    /** LVS-DR, direct routing: IP_VS_CONN_F_DROUTE. */
    DR("dr", 3),
    /** LVS-TUN, IP tunnelling: IP_VS_CONN_F_TUNNEL. */
    TUN("tun", 2);

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
        return this != NAT;
    }
}
