package io.lvsd.ipvs;

/** IPVS_CMD_GET_INFO: the IPVS version ({@code 0x010201} = 1.2.1) and the connection table size. */
public record IpvsInfo(int version, int connectionTableSize) {
    public String versionString() {
        return ((version >> 16) & 0xff) + "." + ((version >> 8) & 0xff) + "." + (version & 0xff);
    }
}
