package io.lvsd.sync;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One connection entry of an IPVS sync message: what the master's kernel tells the backups about a connection
 * (or a persistence template) so that they can take it over.
 *
 * @param protocol        IP protocol number (6 TCP, 17 UDP, 132 SCTP)
 * @param flags           the kernel's IP_VS_CONN_F_* bits as sent (forwarding method in the low 3 bits)
 * @param state           protocol state (IP_VS_TCP_S_*, IP_VS_SCTP_S_*; for templates IP_VS_CTPL_S_*)
 * @param fwmark          firewall mark of the service, 0 if none (version 0 cannot carry it: 0)
 * @param timeoutSeconds  remaining timeout; 0 in version 0 messages, where the backup uses its own table
 * @param seq             TCP sequence adjustment (NAT with application helpers), or null
 * @param peData          persistence-engine data (e.g. a SIP Call-ID), or null
 * @param peName          persistence-engine name, or null
 * @param unknownOptions  option types this codec does not know, in order (the kernel skips optional ones and
 *                        drops the connection for a mandatory one)
 */
public record SyncConnection(IpFamily family, int protocol, int flags, int state, InetAddress client, int clientPort,
                             InetAddress virtual, int virtualPort, InetAddress real, int realPort, long fwmark,
                             long timeoutSeconds, SeqData seq, byte[] peData, String peName,
                             List<Integer> unknownOptions) {

    /** IP_VS_CONN_F_* (include/uapi/linux/ip_vs.h). */
    public static final int F_FWD_MASK = 0x0007;
    public static final int F_MASQ = 0x0000;
    public static final int F_LOCALNODE = 0x0001;
    public static final int F_TUNNEL = 0x0002;
    public static final int F_DROUTE = 0x0003;
    public static final int F_BYPASS = 0x0004;
    public static final int F_SYNC = 0x0020;
    public static final int F_HASHED = 0x0040;
    public static final int F_NOOUTPUT = 0x0080;
    public static final int F_INACTIVE = 0x0100;
    public static final int F_OUT_SEQ = 0x0200;
    public static final int F_IN_SEQ = 0x0400;
    public static final int F_SEQ_MASK = 0x0600;
    public static final int F_NO_CPORT = 0x0800;
    public static final int F_TEMPLATE = 0x1000;
    public static final int F_ONE_PACKET = 0x2000;

    public SyncConnection {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(virtual, "virtual");
        Objects.requireNonNull(real, "real");
        if (IpAddresses.family(client) != family || IpAddresses.family(virtual) != family
                || IpAddresses.family(real) != family) {
            throw new IllegalArgumentException("addresses: not all " + family);
        }
        unknownOptions = List.copyOf(unknownOptions);
        peData = peData == null ? null : peData.clone();
    }

    /** A plain connection entry without options. */
    public static SyncConnection of(int protocol, int flags, int state, InetAddress client, int clientPort,
                                    InetAddress virtual, int virtualPort, InetAddress real, int realPort,
                                    long timeoutSeconds) {
        return new SyncConnection(IpAddresses.family(client), protocol, flags, state, client, clientPort, virtual,
                virtualPort, real, realPort, 0, timeoutSeconds, null, null, null, List.of());
    }

    @Override
    public byte[] peData() {
        return peData == null ? null : peData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyncConnection c && family == c.family && protocol == c.protocol && flags == c.flags
                && state == c.state && client.equals(c.client) && clientPort == c.clientPort
                && virtual.equals(c.virtual) && virtualPort == c.virtualPort && real.equals(c.real)
                && realPort == c.realPort && fwmark == c.fwmark && timeoutSeconds == c.timeoutSeconds
                && Objects.equals(seq, c.seq) && java.util.Arrays.equals(peData, c.peData)
                && Objects.equals(peName, c.peName) && unknownOptions.equals(c.unknownOptions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(family, protocol, flags, state, client, clientPort, virtual, virtualPort, real, realPort,
                fwmark, timeoutSeconds, seq, java.util.Arrays.hashCode(peData), peName, unknownOptions);
    }

    public boolean template() {
        return (flags & F_TEMPLATE) != 0;
    }

    /** ipvsadm's word for the forwarding method: Masq, Local, Tunnel, Route, Bypass. */
    public String forwarding() {
        return switch (flags & F_FWD_MASK) {
            case F_MASQ -> "Masq";
            case F_LOCALNODE -> "Local";
            case F_TUNNEL -> "Tunnel";
            case F_DROUTE -> "Route";
            case F_BYPASS -> "Bypass";
            default -> "fwd" + (flags & F_FWD_MASK);
        };
    }

    /** The state's name as {@code ipvsadm -Lnc} prints it (TEMPLATE entries: NONE / ASSURED). */
    public String stateName() {
        String[] names = template() ? TEMPLATE_STATES : switch (protocol) {
            case 6 -> TCP_STATES;
            case 132 -> SCTP_STATES;
            default -> UDP_STATES;
        };
        return state >= 0 && state < names.length ? names[state] : "state" + state;
    }

    /**
     * The kernel's number for the state named {@code name} (as {@link #stateName()} and /proc/net/ip_vs_conn
     * spell it), or -1 when the protocol has no such state.
     */
    public static int stateNumber(int protocol, boolean template, String name) {
        String[] names = template ? TEMPLATE_STATES : switch (protocol) {
            case 6 -> TCP_STATES;
            case 132 -> SCTP_STATES;
            default -> UDP_STATES;
        };
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                // UDP's one state, IP_VS_UDP_S_NORMAL, is 0 and printed "UDP".
                return i;
            }
        }
        return -1;
    }

    public String protocolName() {
        return switch (protocol) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            default -> "proto" + protocol;
        };
    }

    // include/net/ip_vs.h: IP_VS_TCP_S_*, IP_VS_UDP_S_*, IP_VS_SCTP_S_*, IP_VS_CTPL_S_*
    private static final String[] TCP_STATES = {"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK"};
    private static final String[] UDP_STATES = {"UDP"};
    private static final String[] SCTP_STATES = {"NONE", "INIT1", "INIT", "COOKIE_SENT", "COOKIE_REPLIED",
        "COOKIE_WAIT", "COOKIE", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECEIVED",
        "SHUTDOWN_ACK_SENT", "REJECTED", "CLOSED"};
    private static final String[] TEMPLATE_STATES = {"NONE", "ASSURED"};

    /** struct ip_vs_seq twice: the input and output sequence adjustments. */
    public record SeqData(long inInitSeq, long inDelta, long inPreviousDelta, long outInitSeq, long outDelta,
                          long outPreviousDelta) {
    }
}
