package io.lvsd.ipvs;

/** The IPVS parameters under net.ipv4.vs that lvsd reads and sets (Documentation/networking/ipvs-sysctl.rst). */
public final class IpvsSysctls {
    private IpvsSysctls() {
    }

    /** 1: drop a connection's entry when its destination is gone, so the client is rescheduled. */
    public static final String EXPIRE_NODEST_CONN = "net.ipv4.vs.expire_nodest_conn";
    /** 1: expire persistence templates of quiesced (weight 0) destinations. */
    public static final String EXPIRE_QUIESCENT_TEMPLATE = "net.ipv4.vs.expire_quiescent_template";
    /** 1: keep netfilter conntrack entries for IPVS connections (needed for NAT with iptables). */
    public static final String CONNTRACK = "net.ipv4.vs.conntrack";
    /** The connection-sync protocol version (1 since Linux 2.6.39). */
    public static final String SYNC_VERSION = "net.ipv4.vs.sync_version";
    /**
     * 1: a TCP connection may start with any packet, not only a SYN, so that a director the router moves a flow to
     * takes it mid-stream (active-active directors). Any stray ACK then makes a connection entry.
     */
    public static final String SLOPPY_TCP = "net.ipv4.vs.sloppy_tcp";
    /** 1: as {@link #SLOPPY_TCP}, for SCTP (a connection may start with any chunk, not only INIT). */
    public static final String SLOPPY_SCTP = "net.ipv4.vs.sloppy_sctp";
    /**
     * 1: drop connection entries at random (half-open ones first) when free memory falls below amemthresh; the
     * bound on what sloppy TCP lets stray packets create (Documentation/networking/ipvs-sysctl.rst).
     */
    public static final String DROP_ENTRY = "net.ipv4.vs.drop_entry";
    /** How new connections on a reused port are handled. */
    public static final String CONN_REUSE_MODE = "net.ipv4.vs.conn_reuse_mode";
}
