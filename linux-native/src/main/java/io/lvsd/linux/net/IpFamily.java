package io.lvsd.linux.net;

/** An IP address family, with the kernel's constant. */
public enum IpFamily {
    IPV4(2, 32, "IPv4"),
    IPV6(10, 128, "IPv6");

    private final int af;
    private final int bits;
    private final String display;

    IpFamily(int af, int bits, String display) {
        this.af = af;
        this.bits = bits;
        this.display = display;
    }

    /** {@code AF_INET} or {@code AF_INET6}. */
    public int af() {
        return af;
    }

    /** Address length in bits. */
    public int bits() {
        return bits;
    }

    @Override
    public String toString() {
        return display;
    }
}
