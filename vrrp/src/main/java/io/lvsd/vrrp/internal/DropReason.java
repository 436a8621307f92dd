package io.lvsd.vrrp.internal;

/**
 * Why a received VRRP packet was discarded (RFC 5798 §7.1). Names follow the RFC 6527 (VRRPv3
 * MIB) and RFC 2787 (VRRPv2 MIB) statistics; {@link #label()} is the metric label.
 */
public enum DropReason {
    /** vrrpv3StatisticsIpTtlErrors: TTL / hop limit not 255. */
    IP_TTL_ERROR("ip_ttl"),
    /** vrrpv3RouterVersionErrors. */
    VERSION_ERROR("version"),
    /** vrrpv3StatisticsRcvdInvalidTypePackets. */
    INVALID_TYPE("invalid_type"),
    /** vrrpv3RouterChecksumErrors. */
    CHECKSUM_ERROR("checksum"),
    /** vrrpv3RouterVrIdErrors: no instance with that VRID here. */
    VRID_ERROR("vrid"),
    /** vrrpv3StatisticsPacketLengthErrors: shorter than its header or its address count says. */
    PACKET_LENGTH_ERROR("packet_length"),
    /** vrrpStatsAuthFailures (v2): the password does not match. */
    AUTH_FAILURE("auth_failure"),
    /** vrrpStatsInvalidAuthType (v2): an authentication type other than the configured one. */
    INVALID_AUTH_TYPE("invalid_auth_type"),
    /** vrrpStatsAdvertiseIntervalErrors (v2): the interval differs from ours. */
    ADVERTISE_INTERVAL_ERROR("advertise_interval"),
    /** Unicast mode: the source is not one of unicast-peers (lvsd's own check; keepalived's vrrp_check_unicast_src). */
    UNICAST_SOURCE_ERROR("unicast_source"),
    /** A packet we sent ourselves, looped back. */
    OWN_PACKET("own_packet"),
    /** Dropped by the kernel, unread, because the socket's receive queue was full (lvsd's own; SO_RXQ_OVFL). */
    RECEIVE_QUEUE_FULL("receive_queue");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
