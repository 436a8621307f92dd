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
        super("sendmsg(netlink " + request + ")", errno, LinuxNative.errnoName(errno),
                describe(errno) + (extAck == null || extAck.isBlank() ? "" : "; kernel says: " + extAck));
        this.extAck = extAck;
    }

    /** The kernel's extended-ack text, or null. */
    public String extAck() {
        return extAck;
    }

    private static String describe(int errno) {
        try {
            return LinuxNative.get().describe(errno);
        } catch (RuntimeException | LinkageError e) {
            return "";
        }
    }
}
