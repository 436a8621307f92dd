package io.lvsd.linux.netlink;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;

/**
 * The kernel refused a netlink request. The message names the request and the errno, plus the
 * kernel's extended-ack text when it gave one:
 * {@code sendmsg(netlink IPVS NEW_DEST 10.0.0.1:80 -> 10.1.0.1:80): EEXIST (File exists)}.
 */
public final class NetlinkException extends NativeException {
    private final String extAck;

    public NetlinkException(String request, int errno, String extAck) {
        super("sendmsg(netlink " + request + ")", errno, LinuxNative.errnoName(errno), describe(errno, extAck));
        this.extAck = extAck;
    }

    /** The kernel's extended-ack text, or null. */
    public String extAck() {
        return extAck;
    }

    /** The kernel's refusal in words: strerror(errno), then its extended-ack text when it gave one. */
    public static String describe(int errno, String extAck) {
        String text;
        try {
            text = LinuxNative.get().describe(errno);
        } catch (RuntimeException | LinkageError e) {
            text = "";
        }
        return text + (extAck == null || extAck.isBlank() ? "" : "; kernel says: " + extAck);
    }
}
