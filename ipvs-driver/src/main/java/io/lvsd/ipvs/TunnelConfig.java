package io.lvsd.ipvs;

import java.util.Locale;
import java.util.Objects;

/**
 * LVS-TUN encapsulation (IPVS_DEST_ATTR_TUN_TYPE, _TUN_PORT, _TUN_FLAGS; kernel 5.2+).
 *
 * @param port UDP port for GUE, 0 otherwise
 */
public record TunnelConfig(Type type, int port, Checksum checksum) {
    public TunnelConfig {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(checksum, "checksum");
        if (type == Type.GUE && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port: " + port + " (expected 1-65535 for gue)");
        }
        if (type != Type.GUE && port != 0) {
            throw new IllegalArgumentException("port: " + port + " (expected none: only gue has a port)");
        }
        if (type == Type.IPIP && checksum != Checksum.NONE) {
            throw new IllegalArgumentException("checksum: " + checksum.key() + " (expected none for ipip)");
        }
        if (type == Type.GRE && checksum == Checksum.REMCSUM) {
            // Remote checksum offload exists for GUE only (ipvsadm refuses it for gre too).
            throw new IllegalArgumentException("checksum: remcsum (expected none or csum for gre)");
        }
    }

    public static TunnelConfig ipip() {
        return new TunnelConfig(Type.IPIP, 0, Checksum.NONE);
    }

    /** IP_VS_CONN_F_TUNNEL_TYPE_*. */
    public enum Type {
        IPIP(0), GUE(1), GRE(2);

        private final int kernelValue;

        Type(int kernelValue) {
            this.kernelValue = kernelValue;
        }

        public int kernelValue() {
            return kernelValue;
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** IP_VS_TUNNEL_ENCAP_FLAG_*. */
    public enum Checksum {
        NONE(0), CSUM(1), REMCSUM(2);

        private final int flag;

        Checksum(int flag) {
            this.flag = flag;
        }

        public int flag() {
            return flag;
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
