package io.lvsd.linux.net;

/**
 * The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit big-endian words,
 * folded and complemented. Callers add a pseudo-header's fields to the sum where their protocol
 * asks for one (VRRPv3 RFC 5798 §5.2.8, ICMPv6 RFC 8200 §8.1).
 */
public final class InternetChecksum {
    private InternetChecksum() {
    }

    /** The sum of {@code b}'s 16-bit big-endian words; an odd last byte is padded with zero. */
    public static long sum(byte[] b) {
        long s = 0;
        for (int i = 0; i < b.length; i += 2) {
            s += ((b[i] & 0xff) << 8) | (i + 1 < b.length ? b[i + 1] & 0xff : 0);
        }
        return s;
    }

    /** Folds the carries of {@code sum} and complements it: the value of the checksum field. */
    public static int complement(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
