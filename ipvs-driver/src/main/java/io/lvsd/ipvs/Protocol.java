package io.lvsd.ipvs;

/** A virtual service's transport protocol, with its IANA number (IPPROTO_*). */
public enum Protocol {
    TCP(6), UDP(17), SCTP(132);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The configuration spelling: {@code tcp}, {@code udp}, {@code sctp}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
