package io.lvsd.linux;

import io.lvsd.linux.net.IpAddresses;
import java.net.InetAddress;

/**
 * Names what a system call was doing, for its error message, and is put together only when an error prints it.
 * The calls that take an {@code Object what} accept one: a master sends an advert every interval and a takeover
 * runs its requests interpreted, where formatting a description on every call cost more than the call.
 *
 * <p>The parts are joined as they are, addresses in their usual text form ({@link IpAddresses#text}).
 */
public final class LazyText {
    private final Object[] parts;

    public LazyText(Object... parts) {
        this.parts = parts;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Object p : parts) {
            b.append(p instanceof InetAddress a ? IpAddresses.text(a) : String.valueOf(p));
        }
        return b.toString();
    }
}
