package io.lvsd.linux.netlink;

/** A netlink message that does not parse: it names the field and what was expected. */
public final class NetlinkProtocolException extends RuntimeException {
    public NetlinkProtocolException(String message) {
        super(message);
    }
}
