package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One case per keepalived keyword: the lvsd lines it becomes, or the exact diagnostic with file:line.
 * Snippets are wrapped in the blocks they live in; line numbers count from the wrapped text's first line.
 */
class KeepalivedImportTest {
    @TempDir
    static Path dir;

    static KeepalivedImport.Result convert(String text) throws Exception {
        Path f = dir.resolve("keepalived.conf");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return KeepalivedImport.convert(KeepalivedReader.read(f, "lvs1"), "keepalived.conf");
    }

    /** The output's lines, trimmed, trailing comments removed, comment lines dropped. */
    static List<String> lines(String hocon) {
        List<String> out = new ArrayList<>();
        for (String l : hocon.split("\n")) {
            String t = l.strip();
            if (t.startsWith("#") || t.isEmpty()) {
                continue;
            }
            int c = t.indexOf("   # ");
            out.add(c > 0 ? t.substring(0, c) : t);
        }
        return out;
    }

    // Wrappers: line 1 of the snippet is the given line of the file.
    static String global(String body) { // body from line 2
        return "global_defs {\n" + body + "\n}\n";
    }

    static String instance(String body) { // body from line 4
        return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n" + body
                + "\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n";
    }

    static String vs(String body) { // body from line 3
        return "virtual_server 10.0.0.1 80 {\n  protocol TCP\n" + body + "\n}\n";
    }

    static String rs(String body) { // body from line 4
        return vs("  real_server 10.0.1.1 80 {\n" + body + "\n  }");
    }

    static String check(String type, String body) { // type on line 4, body from line 5
        return rs("    " + type + " {\n" + body + "\n    }");
    }

    record Case(String name, String input, List<String> lines, List<String> diagnostics) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case has(String name, String input, String... lines) {
        return new Case(name, input, List.of(lines), null);
    }

    static Case says(String name, String input, String... diagnostics) {
        return new Case(name, input, List.of(), List.of(diagnostics));
    }

    static Case both(String name, String input, List<String> lines, String... diagnostics) {
        return new Case(name, input, lines, List.of(diagnostics));
    }

    static Stream<Arguments> keywords() {
        String script = "vrrp_script chk {\n  script \"/bin/true\"\n}\n";
        return Stream.of(
                // ---- global_defs
                has("router_id", global("router_id lvs-a"), "director {", "name = lvs-a"),
                has("script_user", global("script_user lvsd-script"), "scripts {", "user = lvsd-script"),
                both("script_user with a group", global("script_user lvsd-script nogroup"), List.of("user = lvsd-script"),
                        "keepalived.conf:2: warning: 'script_user lvsd-script nogroup': lvsd runs scripts with the user's own groups; the group nogroup is not used"),
                both("enable_script_security", global("enable_script_security"), List.of(), new String[0]),
                has("vrrp_garp_master_delay", global("vrrp_garp_master_delay 10"), "defaults {", "vrrp-instance {", "garp {", "delay = 10s"),
                has("vrrp_garp_master_repeat", global("vrrp_garp_master_repeat 2"), "repeat = 2"),
                has("vrrp_rt_priority", global("vrrp_rt_priority 10") + instance(""), "vrrp {", "realtime-priority = 10"),
                has("vrrp_garp_master_refresh", global("vrrp_garp_master_refresh 60"), "refresh = 60s"),
                has("vrrp_garp_master_refresh_repeat", global("vrrp_garp_master_refresh_repeat 3"), "refresh-repeat = 3"),
                says("vrrp_garp_interval", global("vrrp_garp_interval 0.001"),
                        "keepalived.conf:2: todo: 'vrrp_garp_interval 0.001': lvsd has no such tuning knob"),
                has("lvs_sync_daemon", global("lvs_sync_daemon eth1 VI_1 id 9 maxlen 1200 port 8850 ttl 3 group 224.0.0.99")
                                + instance(""),
                        "sync-daemon {", "interface = eth1", "maxlen = 1200", "port = 8850", "ttl = 3",
                        "group = \"224.0.0.99\"", "follow = VI_1", "sync-id = 9", "preempt-wait = 0s"),
                has("lvs_sync_daemon with inst, sync-id from the VRID", global("lvs_sync_daemon eth1 inst VI_1") + instance(""),
                        "interface = eth1", "follow = VI_1", "sync-id = 51"),
                has("lvs_sync_daemon_interface", global("lvs_sync_daemon_interface eth1"), "sync-daemon {", "interface = eth1"),
                has("vrrp_version 3", global("vrrp_version 3") + instance(""), "virtual-router-id = 51"),
                has("vrrp_version absent: keepalived's 2", instance(""), "version = 2"),
                has("vrrp_check_unicast_src", global("vrrp_check_unicast_src") + instance("  unicast_peer {\n    10.0.0.3\n  }"),
                        "unicast-peers = [\"10.0.0.3\"]"),
                has("unicast without vrrp_check_unicast_src", instance("  unicast_peer {\n    10.0.0.3\n  }"),
                        "unicast-peers-check = false"),
                says("vrrp_strict", global("vrrp_strict"), "keepalived.conf:2: todo: 'vrrp_strict': lvsd does not enforce"
                        + " keepalived's strict mode: it installs no firewall drops for the VIPs (every VIP accepts traffic,"
                        + " as keepalived's accept mode), and it allows unicast, passwords and preempt_delay. If you relied"
                        + " on the drops, add nftables rules yourself"),
                both("vrrp_skip_check_adv_addr", global("vrrp_skip_check_adv_addr"), List.of(), new String[0]),
                has("lvs_timeouts", global("lvs_timeouts tcp 7200 tcpfin 60 udp 120"), "ipvs {", "timeouts {",
                        "tcp = 7200s", "tcp-fin = 60s", "udp = 120s"),
                says("lvs_timeouts bad", global("lvs_timeouts tcp"),
                        "keepalived.conf:2: todo: 'lvs_timeouts tcp': expected [tcp SECS] [tcpfin SECS] [udp SECS]"),
                says("notification_email", global("notification_email {\n  ops@example.org\n}"),
                        "keepalived.conf:2: todo: 'notification_email': e-mail is not lvsd's job: use notify scripts, or alert on lvsd's metrics (lvsd_vrrp_state, lvsd_real_server_up) from Prometheus"),
                says("smtp_server", global("smtp_server 192.0.2.25"),
                        "keepalived.conf:2: todo: 'smtp_server 192.0.2.25': e-mail is not lvsd's job: use notify scripts, or alert on lvsd's metrics (lvsd_vrrp_state, lvsd_real_server_up) from Prometheus"),
                // ---- vrrp_script
                has("vrrp_script script", script + instance("  track_script {\n    chk\n  }"),
                        "chk {", "command = \"/bin/true\"", "interval = 1s", "timeout = 1s", "scripts = [chk]"),
                has("vrrp_script interval and timeout", "vrrp_script chk {\n  script /bin/true\n  interval 3\n  timeout 2\n}\n",
                        "interval = 3s", "timeout = 2s"),
                has("vrrp_script negative weight", "vrrp_script chk {\n  script /bin/true\n  weight -30\n}\n"
                        + instance("  priority 150\n  track_script {\n    chk\n  }"), "weight = -30", "priority = 150", "scripts = [chk]"),
                has("vrrp_script positive weight", "vrrp_script chk {\n  script /bin/true\n  weight 20\n}\n"
                        + instance("  priority 150\n  track_script {\n    chk\n  }"), "weight = -20", "priority = 170"),
                has("vrrp_script rise and fall", "vrrp_script chk {\n  script /bin/true\n  rise 3\n  fall 2\n}\n",
                        "rise = 3", "fall = 2"),
                says("vrrp_script user", "vrrp_script chk {\n  script /bin/true\n  user nobody\n}\n",
                        "keepalived.conf:3: todo: 'user nobody': lvsd runs every script as scripts.user; a per-script user is not supported"),
                says("vrrp_script without script", "vrrp_script chk {\n  interval 2\n}\n",
                        "keepalived.conf:1: todo: 'vrrp_script chk': no script to run (keepalived removes this vrrp_script)"),
                // ---- vrrp_instance
                has("state", instance("  state MASTER"), "VI_1 {"),
                has("state MASTER without priority: the owner", instance("  state MASTER"), "priority = 255"),
                says("state MASTER clears preempt_delay and nopreempt", instance("  state MASTER\n  priority 100\n"
                                + "  nopreempt\n  preempt_delay 5"),
                        "keepalived.conf:6: warning: 'nopreempt': keepalived ignores it with state MASTER (and says so), and so does this file",
                        "keepalived.conf:7: warning: 'preempt_delay 5': keepalived ignores it with state MASTER (and says so), and so does this file"),
                has("interface", instance(""), "interface = eth0"),
                has("virtual_router_id", instance(""), "virtual-router-id = 51"),
                has("priority", instance("  priority 200"), "priority = 200"),
                says("priority out of range", instance("  priority 300"),
                        "keepalived.conf:4: todo: 'priority 300': '300' is not a whole number (expected 1-255)"),
                has("advert_int", instance("  advert_int 3"), "advert-interval = 3s"),
                says("advert_int fractional in v2", instance("  advert_int 0.5"),
                        "keepalived.conf:4: todo: 'advert_int 0.5': VRRPv2 adverts are whole seconds 1-255"),
                has("advert_int fractional in v3", instance("  version 3\n  advert_int 0.25"), "advert-interval = 250ms"),
                has("version", instance("  version 3"), "interface = eth0"),
                has("nopreempt", instance("  nopreempt"), "preempt = false"),
                both("preempt_delay", instance("  preempt_delay 30"), List.of("preempt-delay = 30s"),
                        "keepalived.conf:4: warning: 'preempt_delay 30': lvsd counts the delay from the instance's start only; keepalived also waits this long after hearing a lower-priority master"),
                has("unicast_src_ip and unicast_peer", instance("  unicast_src_ip 10.0.0.2\n  unicast_peer {\n    10.0.0.3\n    10.0.0.4\n  }"),
                        "unicast-peers = [\"10.0.0.3\", \"10.0.0.4\"]", "unicast-source = \"10.0.0.2\""),
                has("unicast_peer min_ttl", instance("  unicast_peer {\n    10.0.0.3 min_ttl 255\n  }"), "unicast-min-ttl = 255"),
                has("authentication PASS", instance("  authentication {\n    auth_type PASS\n    auth_pass secret\n  }"),
                        "authentication {", "password = secret"),
                both("authentication long password", instance("  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }"),
                        List.of("password = \"12345678\""),
                        "keepalived.conf:6: warning: 'auth_pass 123456789': keepalived uses only the first 8 characters, and so does this file"),
                says("authentication AH", instance("  authentication {\n    auth_type AH\n    auth_pass x\n  }"),
                        "keepalived.conf:5: todo: 'auth_type AH': lvsd supports the simple password (PASS) only; IPsec AH is not supported (RFC 3768 removed authentication)"),
                has("virtual_ipaddress", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n"
                        + "    10.0.0.1\n    10.0.0.2/24 dev eth0\n    10.0.1.1/24 dev eth1\n  }\n}\n",
                        "virtual-addresses = [", "\"10.0.0.1/32\"", "\"10.0.0.2/24\"", "{ address = \"10.0.1.1/24\", interface = eth1 }"),
                both("virtual_ipaddress label", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n"
                        + "    10.0.0.1/24 label eth0:1\n  }\n}\n", List.of("virtual-addresses = [", "\"10.0.0.1/24\""),
                        "keepalived.conf:5: warning: '10.0.0.1/24 label eth0:1': lvsd labels its IPv4 VIPs IFNAME:vrrpVRID; the label eth0:1 is not kept"),
                says("virtual_ipaddress scope", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n"
                        + "    10.0.0.1/24 scope link\n    10.0.0.2/24\n  }\n}\n",
                        "keepalived.conf:5: todo: '10.0.0.1/24 scope link': lvsd adds VIPs with scope global only"),
                says("virtual_ipaddress brd", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n"
                        + "    10.0.0.1/24 brd 10.0.0.255\n    10.0.0.2/24\n  }\n}\n",
                        "keepalived.conf:5: todo: '10.0.0.1/24 brd 10.0.0.255': lvsd sets no broadcast address on a VIP"),
                has("virtual_ipaddress IPv6 makes version 3", "vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 5\n"
                        + "  virtual_ipaddress {\n    2001:db8::10/64\n  }\n}\n", "virtual-addresses = [\"2001:db8::10/64\"]"),
                says("virtual_ipaddress_excluded", instance("  virtual_ipaddress_excluded {\n    10.0.9.1/24\n  }"),
                        "keepalived.conf:4: todo: 'virtual_ipaddress_excluded': lvsd has no excluded addresses: add them to virtual-addresses (adverts then list them, and a keepalived peer logs an address mismatch), or add them from notify scripts"),
                has("track_interface", instance("  track_interface {\n    eth1\n    eth2 weight -20\n    eth3 weight 10\n  }"),
                        "interfaces = [", "eth1", "{ name = eth2, weight = -20 }", "{ name = eth3, weight = -10 }", "priority = 110"),
                has("track_interface reverse", instance("  track_interface {\n    eth2 weight -20 reverse\n  }"),
                        "interfaces = [", "{ name = eth2, weight = 20 }"),
                has("track_script with weight", script + instance("  track_script {\n    chk weight -15\n  }"),
                        "{ name = chk, weight = -15 }"),
                says("track_script unknown", script + instance("  track_script {\n    chx\n  }"),
                        "keepalived.conf:8: todo: 'chx': no vrrp_script chx (did you mean chk?)"),
                has("track_file", "track_file tf {\n  file /run/tf\n  weight -2\n}\n" + instance("  track_file {\n    tf\n  }"),
                        "files = [", "{ path = \"/run/tf\", weight = -2 }"),
                says("track_file weight 0", "track_file tf {\n  file /run/tf\n  weight 0\n}\n" + instance("  track_file {\n    tf\n  }"),
                        "keepalived.conf:9: todo: 'tf': keepalived puts the instance in FAULT while the file holds a non-zero value (weight 0); lvsd has no such mode: use a track script that tests the file"),
                says("track_process", instance("  track_process {\n    proc\n  }"),
                        "keepalived.conf:4: todo: 'track_process': lvsd does not track processes; use a track script (e.g. pidof NAME)"),
                has("notify_master", instance("  notify_master \"/bin/n master\""), "notify {", "master = \"/bin/n master\""),
                has("notify_backup", instance("  notify_backup /bin/b"), "backup = \"/bin/b\""),
                has("notify_fault", instance("  notify_fault /bin/f"), "fault = \"/bin/f\""),
                has("notify_stop", instance("  notify_stop /bin/s"), "stop = \"/bin/s\""),
                has("notify", instance("  notify /bin/any"), "any = \"/bin/any\""),
                says("notify with a user", instance("  notify_master /bin/n root"),
                        "keepalived.conf:4: todo: 'notify_master /bin/n root': lvsd runs every script as scripts.user; a per-script user is not supported (quote the command if the words after it are its arguments)"),
                has("garp_master_delay", instance("  garp_master_delay 1"), "garp {", "delay = 1s"),
                has("garp_master_repeat", instance("  garp_master_repeat 2"), "repeat = 2"),
                has("garp_master_refresh", instance("  garp_master_refresh 30"), "refresh = 30s"),
                has("garp_master_refresh_repeat", instance("  garp_master_refresh_repeat 2"), "refresh-repeat = 2"),
                says("use_vmac", instance("  use_vmac"),
                        "keepalived.conf:4: todo: 'use_vmac': lvsd has no VMAC (macvlan) yet: it sends adverts and holds the VIPs on the interface itself"),
                says("vmac_xmit_base", instance("  vmac_xmit_base"),
                        "keepalived.conf:4: todo: 'vmac_xmit_base': lvsd has no VMAC (macvlan) yet: it sends adverts and holds the VIPs on the interface itself"),
                says("smtp_alert", instance("  smtp_alert"),
                        "keepalived.conf:4: todo: 'smtp_alert': e-mail is not lvsd's job: use notify scripts or alert on lvsd_vrrp_state"),
                both("accept", instance("  accept"), List.of("VI_1 {"), new String[0]),
                says("misspelt keyword", instance("  priorty 120"),
                        "keepalived.conf:4: todo: 'priorty 120': unknown keyword in vrrp_instance, ignored as keepalived ignores it (did you mean priority?)"),
                says("value glued to keyword", instance("  advert_int=2"),
                        "keepalived.conf:4: todo: 'advert_int=2': keepalived reads 'advert_int=2' as one unknown keyword and ignores it; write 'advert_int 2'"),
                // ---- vrrp_sync_group
                has("vrrp_sync_group", "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  notify_master /bin/gm\n  notify /bin/ga\n}\n"
                        + instance(""), "sync-groups {", "G {", "instances = [VI_1]", "master = \"/bin/gm\"", "any = \"/bin/ga\""),
                says("vrrp_sync_group unknown member", "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_9\n  }\n}\n" + instance(""),
                        "keepalived.conf:4: todo: 'VI_9': no vrrp_instance VI_9"),
                // ---- virtual_server
                has("virtual_server IP port", vs(""), "name = \"tcp-10.0.0.1-80\"", "address = \"10.0.0.1:80\""),
                has("virtual_server IPv6", "virtual_server 2001:db8::1 443 {\n  protocol TCP\n}\n", "address = \"[2001:db8::1]:443\""),
                has("virtual_server fwmark", "virtual_server fwmark 7 {\n}\n", "name = fwmark-7", "fwmark = 7"),
                has("virtual_server group and ranges", "virtual_server_group G {\n  10.0.0.5-6 80\n  10.0.1.0/31 80\n  fwmark 3\n}\n"
                        + "virtual_server group G {\n  protocol TCP\n}\n",
                        "address = \"10.0.0.5:80\"", "address = \"10.0.0.6:80\"", "address = \"10.0.1.0:80\"",
                        "address = \"10.0.1.1:80\"", "fwmark = 3"),
                has("protocol absent: keepalived's UDP", "virtual_server 10.0.0.1 53 {\n}\n", "protocol = udp"),
                has("protocol", "virtual_server 10.0.0.1 80 {\n  protocol SCTP\n}\n", "protocol = sctp"),
                has("delay_loop", rs("    TCP_CHECK {\n    }").replace("protocol TCP", "protocol TCP\n  delay_loop 7"), "interval = 7s"),
                has("lb_algo", vs("  lb_algo rr"), "scheduler = rr"),
                has("lvs_sched", vs("  lvs_sched sed"), "scheduler = sed"),
                has("lb_kind", vs("  lb_kind DR"), "forwarding = dr"),
                has("lvs_method TUN", vs("  lvs_method TUN type gre"), "forwarding = tun", "tunnel = { type = gre }"),
                has("persistence_timeout", vs("  persistence_timeout 120"), "persistence {", "timeout = 120s"),
                has("persistence_timeout bare", vs("  persistence_timeout"), "timeout = 360s"),
                has("persistence_granularity", vs("  persistence_timeout 60\n  persistence_granularity 255.255.0.0"),
                        "netmask = \"255.255.0.0\""),
                has("sorry_server", vs("  sorry_server 10.0.2.1 8080"), "sorry-server = \"10.0.2.1:8080\""),
                has("quorum and hysteresis", vs("  quorum 3\n  hysteresis 1"), "quorum {", "weight = 3", "hysteresis = 1"),
                has("quorum_up and quorum_down", vs("  quorum_up \"/bin/q up\"\n  quorum_down /bin/qd"),
                        "up = \"/bin/q up\"", "down = \"/bin/qd\""),
                has("alpha", rs("    TCP_CHECK {\n    }").replace("protocol TCP", "protocol TCP\n  alpha"), "alpha = true"),
                says("omega", vs("  omega"), "keepalived.conf:3: todo: 'omega': lvsd runs no quorum.down or notify.down scripts when it stops"),
                has("inhibit_on_failure on the service", vs("  inhibit_on_failure"), "on-failure = quiesce"),
                says("ha_suspend", vs("  ha_suspend"),
                        "keepalived.conf:3: todo: 'ha_suspend': lvsd checks real servers whether or not this director holds the VIP"),
                has("virtualhost", check("HTTP_GET", "      url {\n        path /\n      }").replace("protocol TCP",
                        "protocol TCP\n  virtualhost www.example.org"), "host = \"www.example.org\""),
                has("sh-port and sh-fallback", vs("  lvs_sched sh\n  sh-port\n  sh-fallback"), "scheduler-flags = [sh-port, sh-fallback]"),
                has("mh-port and mh-fallback", vs("  lvs_sched mh\n  mh-fallback\n  mh-port"), "scheduler-flags = [mh-fallback, mh-port]"),
                has("flag-1 and flag-2", vs("  lvs_sched sh\n  flag-1\n  flag-2"), "scheduler-flags = [sh-fallback, sh-port]"),
                has("ops", "virtual_server 10.0.0.1 53 {\n  protocol UDP\n  ops\n}\n", "one-packet = true"),
                // ---- real_server
                has("real_server without checker", rs(""), "address = \"10.0.1.1:80\"", "type = none"),
                has("weight", rs("    weight 5"), "weight = 5"),
                has("inhibit_on_failure on every real server", rs("    inhibit_on_failure"), "on-failure = quiesce"),
                has("notify_up and notify_down", rs("    notify_up \"/bin/up x\"\n    notify_down /bin/down"),
                        "up = \"/bin/up x\"", "down = \"/bin/down\""),
                has("tunnel settings", rs("    lvs_method TUN type gue port 5555 remcsum"), "forwarding = tun",
                        "tunnel = { type = gue, port = 5555, checksum = remcsum }"),
                has("uthreshold and lthreshold", rs("    uthreshold 100\n    lthreshold 50"), "upper-threshold = 100", "lower-threshold = 50"),
                // ---- checks
                has("TCP_CHECK", check("TCP_CHECK", "      connect_timeout 3"), "check {", "interval = 60s", "retries = 2", "warmup = true"),
                has("HTTP_GET", check("HTTP_GET", "      url {\n        path /health\n        status_code 200-299 301\n"
                                + "        digest 0123456789abcdef0123456789ABCDEF\n      }"),
                        "type = http", "retry-delay = 3s", "path = \"/health\"", "status = [\"200-299\", \"301\"]",
                        "digest = \"md5:0123456789abcdef0123456789abcdef\"", "version = \"1.0\""),
                has("SSL_GET", check("SSL_GET", "      url {\n        path /\n      }\n      http_protocol 1.1"), "type = https"),
                has("MISC_CHECK", check("MISC_CHECK", "      misc_path \"/bin/chk 1\"\n      misc_timeout 4\n      misc_dynamic"),
                        "type = script", "timeout = 4s", "command = \"/bin/chk 1\"", "dynamic = true"),
                has("DNS_CHECK", check("DNS_CHECK", "      type AAAA\n      name example.org"), "type = dns", "retries = 4",
                        "type = AAAA", "name = \"example.org\""),
                both("UDP_CHECK", check("UDP_CHECK", "      payload Ab12f 3\n      require_reply 00x1"), List.of("type = udp",
                        "payload-hex = \"ab120f03\"", "expect-hex = \"00?1\""),
                        "keepalived.conf:6: warning: 'require_reply 00x1': keepalived compares a shorter reply up to its length; lvsd needs the reply to be at least as long as the pattern"),
                has("connect_ip and connect_port", check("TCP_CHECK", "      connect_ip 10.0.5.5\n      connect_port 8443"),
                        "connect-address = \"10.0.5.5\"", "connect-port = 8443"),
                has("bindto and bind_port and bind_if", check("TCP_CHECK", "      bindto 10.0.0.2\n      bind_port 2000\n      bind_if eth0"),
                        "source-address = \"10.0.0.2\"", "source-port = 2000", "interface = eth0"),
                has("connect_timeout", check("TCP_CHECK", "      connect_timeout 1.5"), "timeout = 1500ms"),
                has("retry", check("TCP_CHECK", "      retry 4"), "retries = 5"),
                has("nb_get_retry", check("TCP_CHECK", "      nb_get_retry 0"), "interval = 60s"),
                has("delay_before_retry", check("TCP_CHECK", "      delay_before_retry 2"), "retry-delay = 2s"),
                has("warmup 0", check("TCP_CHECK", "      warmup 0\n      connect_timeout 3"), "check {", "interval = 60s", "retries = 2"),
                says("SMTP_CHECK", check("SMTP_CHECK", ""),
                        "keepalived.conf:4: todo: 'SMTP_CHECK': lvsd has no SMTP check; a script check can run one (e.g. swaks, or nc and grep for 220)"),
                says("BFD_CHECK", check("BFD_CHECK", "      name b"), "keepalived.conf:4: todo: 'BFD_CHECK': lvsd has no BFD"),
                says("FILE_CHECK", check("FILE_CHECK", "      track_file f"),
                        "keepalived.conf:4: todo: 'FILE_CHECK': lvsd has no file check; a script check can test the file (misc_dynamic's exit codes give a weight)"),
                says("two checkers", rs("    TCP_CHECK {\n    }\n    HTTP_GET {\n      url {\n        path /\n      }\n    }"),
                        "keepalived.conf:6: todo: 'HTTP_GET': lvsd runs one check per real server; keepalived wants every checker up. Combine them in a script check, or keep the first (TCP_CHECK)"),
                // ---- the top level
                says("unknown top-level keyword", "vrrp_instanse X {\n}\n",
                        "keepalived.conf:1: todo: 'vrrp_instanse X': unknown keyword in top level, ignored as keepalived ignores it (did you mean vrrp_instance?)"),
                says("static_routes", "static_routes {\n  10.0.0.0/8 via 192.0.2.1\n}\n",
                        "keepalived.conf:1: todo: 'static_routes': lvsd does not manage routes; keep them in the system's network configuration"))
                .map(c -> Arguments.of(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keywords")
    void keyword(Case c) throws Exception {
        KeepalivedImport.Result r = convert(c.input());
        List<String> out = lines(r.hocon());
        for (String l : c.lines()) {
            assertThat(out).as("output of:\n" + c.input() + "\n---\n" + r.hocon()).contains(l);
        }
        List<String> diags = r.diagnostics().stream().map(Diagnostic::format).toList();
        if (c.diagnostics() != null) {
            assertThat(diags).as(r.hocon()).containsExactlyElementsOf(c.diagnostics());
        }
    }

    @Test
    void everyTodoIsInTheOutputAtItsPlace() throws Exception {
        KeepalivedImport.Result r = convert(instance("  use_vmac\n  priorty 5"));
        assertThat(r.hocon()).contains("# TODO keepalived.conf:4 'use_vmac'", "# TODO keepalived.conf:5 'priorty 5'");
        assertThat(r.complete()).isFalse();
        assertThat(r.hocon()).contains("# 2 items did not convert: search for TODO.");
    }

    @Test
    void blocksNameTheirSourceLine() throws Exception {
        KeepalivedImport.Result r = convert(vs("  real_server 10.0.1.1 80 {\n    TCP_CHECK {\n    }\n  }"));
        assertThat(r.hocon()).contains("# keepalived.conf:1 virtual_server 10.0.0.1 80", "# keepalived.conf:3 real_server 10.0.1.1 80",
                "# keepalived.conf:4 TCP_CHECK");
        assertThat(r.complete()).isTrue();
    }

    @Test
    void theReportCountsKeywordsAndSaysWhatTheyBecame() throws Exception {
        KeepalivedImport.Result r = convert(instance("  priority 120\n  use_vmac") + instance("  priority 110").replace("VI_1", "VI_2"));
        assertThat(r.report()).contains(
                new KeepalivedImport.ReportRow("vrrp_instance", "priority", 2, "vrrp.instances.*.priority"),
                new KeepalivedImport.ReportRow("vrrp_instance", "use_vmac", 1, "not converted"),
                new KeepalivedImport.ReportRow("top level", "vrrp_instance", 2, "vrrp.instances"));
    }

    @Test
    void importingTwiceGivesTheSameBytes() throws Exception {
        String text = Arrays.stream(new String[] {global("router_id a"), instance("  priority 150"), vs("  lb_algo rr")})
                .reduce("", String::concat);
        assertThat(convert(text).hocon()).isEqualTo(convert(text).hocon());
    }
}
