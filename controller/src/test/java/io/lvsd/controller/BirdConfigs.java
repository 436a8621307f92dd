package io.lvsd.controller;

import java.util.Map;

/**
 * BIRD 2 configurations of the ECMP labs (EcmpNetnsIT, EcmpVmTest): a router that takes the directors' VIP routes
 * over eBGP and installs them as one multipath route, and a director that learns lvsd's announcement table (4242,
 * protocol 245) and exports it to the router with next hop self. Both with BFD at {@code bfdMs} x {@code multiplier}
 * and the BGP timers given.
 */
final class BirdConfigs {
    private BirdConfigs() {
    }

    /** The router {@code routerIp} (AS 65000) with one session per director (name to address, AS 65101). */
    static String router(String routerIp, Map<String, String> directors, int bfdMs, int multiplier, int hold,
                         int keepalive) {
        StringBuilder b = new StringBuilder("router id " + routerIp + ";\n" + """
                protocol device {}
                protocol kernel { ipv4 { import none; export all; }; merge paths on limit 16; }
                """);
        b.append(bfd(bfdMs, multiplier)).append("template bgp director {\n")
                .append("  local as 65000; bfd on;").append(timers(hold, keepalive))
                .append("  ipv4 { import all; export none; };\n}\n");
        directors.forEach((name, ip) -> b.append("protocol bgp ").append(name).append(" from director { neighbor ")
                .append(ip).append(" as 65101; }\n"));
        return b.toString();
    }

    /** A director {@code ip} (AS 65101) with its session to the router {@code routerIp}. */
    static String director(String ip, String routerIp, int bfdMs, int multiplier, int hold, int keepalive) {
        return "router id " + ip + ";\n" + """
                protocol device {}
                ipv4 table vips;
                protocol kernel lvsd4 {
                  kernel table 4242; learn; scan time 10;
                  ipv4 { table vips; import where krt_source = 245; export none; };
                }
                """ + bfd(bfdMs, multiplier) + "protocol bgp uplink {\n"
                + "  local as 65101; neighbor " + routerIp + " as 65000; bfd on;" + timers(hold, keepalive)
                + "  ipv4 { table vips; import none; export where proto = \"lvsd4\"; next hop self; };\n}\n";
    }

    private static String bfd(int ms, int multiplier) {
        return "protocol bfd { interface \"*\" { interval " + ms + " ms; multiplier " + multiplier + "; }; }\n";
    }

    private static String timers(int hold, int keepalive) {
        return " hold time " + hold + "; keepalive time " + keepalive + ";\n"
                + "  connect delay time 1; connect retry time 1; error wait time 1, 5;\n";
    }
}
