package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.KernelLab;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Change without disruption, proven on the real kernel under traffic. One HA pair ({@link HaLab}: d1 priority
 * 150, d2 100, connection sync following VI_1, TCP health checks) carries a DR TCP, a NAT TCP and a NAT UDP
 * service, while a client holds 20 long-lived TCP connections, opens a new one every 250 ms and runs a UDP
 * stream. On that running pair every kind of edit is rolled out as an operator would, backup first, then master,
 * and after each half the test asserts:
 * <ul>
 *   <li>no client connection lost, no new connection refused, no UDP gap longer than the health-check bound (in
 *       the failover rows: than the protocol's, Master_Down_Interval);</li>
 *   <li>no VRRP transition, except where the row itself is a failover;</li>
 *   <li>the IPVS writes each director's kernel received, captured on an nlmon device in its namespace, are the
 *       minimal difference, and no FLUSH ever happens.</li>
 * </ul>
 * Then: SIGHUP on the backup, a restart of lvsd on the backup, a restart on the master (graceful handover and
 * fail-back with catch-up: the returning director preempts under traffic once it has caught up, busy, idle and
 * just-opened connections intact), and a SIGHUP that arrives during a failover. A table of the rows' times closes it.
 */
class ReloadVmTest {
    static final Duration CONVERGE = Duration.ofSeconds(240);
    /**
     * A restarted director under the client's traffic: its JVM's start alone took 170 s in the emulated guest, and a
     * returning master then waits for the catch-up (or the preempt-wait) before it preempts.
     */
    static final Duration RESTART = Duration.ofSeconds(480);
    /**
     * The longest UDP outage a row may cause: the health-check bound of these services (a 1 s interval and the
     * default 3 s timeout). A SIGHUP must stay far below it; a failover must stay within it.
     */
    static final long UDP_BOUND_MS = 4000;
    /**
     * The client's connect and read timeout in this test: 15 s, where Linux's own default connect gives up after
     * about two minutes. A failover in the emulated guest took up to 6 s (the graceful one: Skew_Time, 1.6 s at 3 s
     * adverts, then the takeover's VIPs and announcements behind a director busy starting its master sync daemon),
     * and the SYN a client retransmits at 7 s must still find the new master. A connection that waits through a
     * failover is not lost; one that breaks, or is refused, is.
     */
    static final int CLIENT_TIMEOUT_MS = 15_000;
    static final String VIP = HaLab.VIP;

    /** The knobs the rows turn; both directors' files are written from one set. */
    static final class Knobs implements Cloneable {
        int prio1 = 150;
        int prio2 = 100;
        /**
         * 2 s: with 1 s adverts the emulated guest, busy with a director's reload, now and then starved the
         * master's advert timer past Master_Down_Interval (a false takeover in the priority row).
         */
        String advert = "2s";
        boolean secondVip;
        boolean track;
        boolean extraService;
        boolean n2;
        int r1Weight = 1;
        String scheduler = "rr";
        String drCheck = "tcp";
        int persistence;
        int syncId = 7;

        Knobs with(Consumer<Knobs> edit) {
            try {
                Knobs k = (Knobs) clone();
                edit.accept(k);
                return k;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        String conf(String name) {
            int prio = name.equals("d1") ? prio1 : prio2;
            return """
                    director.name = %s
                    scripts.user = nobody
                    vrrp {
                      track-scripts.ok { command = ["/bin/true"], interval = 1s, weight = -20 }
                      instances {
                        VI_1 { interface = eth0, virtual-router-id = 51, priority = %d, advert-interval = %s,
                               virtual-addresses = ["%s/24"%s] %s }
                        VI_2 { interface = eth1, virtual-router-id = 52, priority = %d, advert-interval = %s,
                               virtual-addresses = ["%s/24"] }
                      }
                      sync-groups { G = [VI_1, VI_2] }
                    }
                    virtual-servers = [
                      { name = dr, address = "%s:7", scheduler = %s, forwarding = dr, persistence.timeout = %ds,
                        check { type = %s, interval = 1s },
                        real-servers = [ { address = "10.99.0.21:7", weight = %d }, { address = "10.99.0.22:7" } ] }
                      { name = nat, address = "%s:8", scheduler = rr, forwarding = nat, drain-timeout = 60s,
                        check { type = tcp, interval = 1s },
                        real-servers = [ { address = "10.98.0.21:7" } %s ] }
                      { name = stream, protocol = udp, address = "%s:9", scheduler = rr, forwarding = nat,
                        check.type = none,
                        real-servers = [ { address = "10.98.0.21:9" }, { address = "10.98.0.22:9" } ] }
                      %s
                    ]
                    sync-daemon { interface = eth0, sync-id = %d, follow = VI_1, preempt-wait = 30s }
                    # The idle connections stay idle through the whole matrix, which in the emulated guest took up to
                    # 20 min: longer than the kernel's default 15 min for an idle established connection.
                    ipvs.timeouts.tcp = 1h
                    """.formatted(name, prio, advert, VIP, secondVip ? ", \"10.99.0.101/24\"" : "",
                    track ? ", track.scripts = [ok]" : "", prio, advert, HaLab.GATEWAY, VIP, scheduler, persistence,
                    drCheck, r1Weight, VIP, n2 ? ", { address = \"10.98.0.22:7\" }" : "", VIP,
                    extraService ? "{ name = extra, address = \"" + VIP + ":10\", scheduler = rr, forwarding = dr, "
                            + "check.type = none, real-servers = [ { address = \"10.99.0.21:10\" } ] }" : "",
                    syncId);
        }
    }

    HaLab lab;
    Knobs knobs = new Knobs();
    final Map<String, NetlinkCapture> captures = new LinkedHashMap<>();
    final Map<String, Double> times = new LinkedHashMap<>();
    /** How each fail-back gate decided, for the summary. */
    final List<String> gates = new ArrayList<>();
    Traffic traffic;

    @Test
    void everyEditRolledOutUnderTrafficDisturbsNothing() throws Exception {
        KernelLab.requireIpvs();
        long suiteStart = System.nanoTime();
        try (HaLab l = new HaLab("lvsd-rl")) {
            lab = l;
            lab.clientTimeoutMs = CLIENT_TIMEOUT_MS;
            for (String d : List.of("d1", "d2")) {
                captures.put(d, NetlinkCapture.start(lab.net.name(d), lab.dir.resolve(d + "-nl.pcap")));
            }
            // One after the other: two JVMs starting at once on the emulated CPU take as long, and the second
            // would find no master yet and take over for a moment.
            lab.startWith("d1", knobs.conf("d1"));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(500)).until(() -> lab.holdsBoth("d1"));
            lab.startWith("d2", knobs.conf("d2"));
            await().atMost(CONVERGE).pollInterval(Duration.ofMillis(500))
                    .until(() -> lab.output("d2").contains("lvsd started"));
            lab.awaitMaster("d1", "d2", CONVERGE);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(lab.admin("d1", "/status")).contains("\"daemons\" : [ \"master\" ]"));
            times.put("pair up", seconds(suiteStart));
            traffic = new Traffic(lab);
            traffic.start();

            row("VRRP priority", k -> { k.prio1 = 160; k.prio2 = 110; }, List.of());
            row("a VIP added", k -> k.secondVip = true, List.of());
            assertThat(lab.holds("d1", "10.99.0.101")).as("d1 holds the new VIP").isTrue();
            row("a VIP removed", k -> k.secondVip = false, List.of());
            assertThat(lab.holds("d1", "10.99.0.101")).as("d1 dropped the removed VIP").isFalse();
            row("advert interval", k -> k.advert = "3s", List.of());
            row("track script added", k -> k.track = true, List.of());
            row("virtual server added", k -> k.extraService = true, List.of("NEW_SERVICE tcp " + VIP + ":10 rr",
                    "NEW_DEST tcp " + VIP + ":10 -> 10.99.0.21:10 weight 1"));
            row("virtual server removed", k -> k.extraService = false, List.of("DEL_SERVICE tcp " + VIP + ":10"));
            row("real server added", k -> k.n2 = true, List.of("NEW_DEST tcp " + VIP + ":8 -> 10.98.0.22:7 weight 1"));
            // Removal drains: weight 0 while the server has active connections, deletion once it has none (at once
            // when it has none already, as on the backup, whose synced connections here have all closed).
            String drain = "SET_DEST tcp " + VIP + ":8 -> 10.98.0.22:7 weight 0";
            String delete = "DEL_DEST tcp " + VIP + ":8 -> 10.98.0.22:7";
            Mark beforeDrain = mark();
            row("real server removed (drain)", k -> k.n2 = false, List.of(), List.of(drain, delete));
            for (String d : List.of("d1", "d2")) {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                        tableWrites(d, beforeDrain).contains(delete));
                assertThat(tableWrites(d, beforeDrain)).as(d + ": the drained server's writes")
                        .isIn(List.of(delete), List.of(drain, delete));
            }
            row("weight", k -> k.r1Weight = 3, List.of("SET_DEST tcp " + VIP + ":7 -> 10.99.0.21:7 weight 3"));
            row("scheduler", k -> k.scheduler = "wrr", List.of("SET_SERVICE tcp " + VIP + ":7 wrr"));
            row("check type", k -> k.drCheck = "none", List.of());
            row("persistence", k -> k.persistence = 60, List.of("SET_SERVICE tcp " + VIP + ":7 wrr"));
            row("sync-daemon settings", k -> k.syncId = 8, null);

            sighupOnTheBackupAlone();
            restartTheBackup();
            restartTheMasterWithASighupDuringTheFailover();

            assertThat(traffic.idleBroken()).as("idle connections broken by the whole matrix (restarts, failovers and "
                    + "fail-backs included)" + lab.outputs()).isEmpty();
            traffic.stop();
            assertThat(allWrites("d1")).as("d1 never flushed").noneMatch(w -> w.startsWith("FLUSH"));
            assertThat(allWrites("d2")).as("d2 never flushed").noneMatch(w -> w.startsWith("FLUSH"));
        } finally {
            if (traffic != null) {
                traffic.stop();
            }
            for (NetlinkCapture c : captures.values()) {
                c.close();
            }
            printTimes(seconds(suiteStart));
        }
    }

    // ---- the rows

    /**
     * One edit, rolled out backup first, then master. {@code writes} are the IPVS table writes each director's
     * kernel must see for it (null: sync-daemon writes only); {@code later} writes may follow (a drain).
     */
    void row(String name, Consumer<Knobs> edit, List<String> writes) throws Exception {
        row(name, edit, writes, List.of());
    }

    void row(String name, Consumer<Knobs> edit, List<String> writes, List<String> later) throws Exception {
        long t0 = System.nanoTime();
        Knobs next = knobs.with(edit);
        Mark mark = mark();
        reload("d2", next);
        // The moment in between: the two directors' configurations differ.
        settle(name + " (backup reloaded, master not yet)", mark);
        checkWrites(name + " on the backup", "d2", mark, writes, later);
        reload("d1", next);
        settle(name, mark);
        checkWrites(name + " on the master", "d1", mark, writes, later);
        assertThat(transitions(mark)).as(name + ": VRRP transitions").isEmpty();
        knobs = next;
        times.put(name, seconds(t0));
    }

    void sighupOnTheBackupAlone() throws Exception {
        long t0 = System.nanoTime();
        Mark mark = mark();
        reload("d2", knobs);
        settle("SIGHUP on the backup", mark);
        checkWrites("SIGHUP on the backup", "d2", mark, List.of(), List.of());
        assertThat(transitions(mark)).as("SIGHUP on the backup: VRRP transitions").isEmpty();
        times.put("SIGHUP on the backup", seconds(t0));
    }

    void restartTheBackup() throws Exception {
        long t0 = System.nanoTime();
        Mark mark = mark();
        assertThat(lab.stop("d2")).as("d2's lvsd stopped cleanly").isZero();
        lab.startWith("d2", knobs.conf("d2"));
        await().atMost(RESTART).pollInterval(Duration.ofMillis(500)).until(() ->
                lab.output("d2").contains("VI_1: INIT -> BACKUP") && lab.output("d2").contains("lvsd started"));
        settle("restart of the backup", mark);
        assertThat(tableWrites("d2", mark)).as("d2's table writes across its restart (it adopts what it owns)")
                .isEmpty();
        assertThat(transitions(mark)).as("restart of the backup: d1's VRRP transitions")
                .noneMatch(t -> t.startsWith("d1"));
        times.put("restart of the backup", seconds(t0));
    }

    /**
     * Two rows on one restart: d1 stops gracefully and hands over to d2, and while d2 takes over, a SIGHUP with an
     * edit reaches it (a SIGHUP during a failover). With sync nothing is lost. Then d1 returns, catches up with
     * d2's connections and preempts (the restart of the master, and back).
     */
    void restartTheMasterWithASighupDuringTheFailover() throws Exception {
        long t0 = System.nanoTime();
        Mark mark = mark();
        Knobs next = knobs.with(k -> k.prio2 = 120);
        lab.configure("d2", next.conf("d2"));
        int reloads = count(lab.output("d2"), "reload done");
        lab.process("d1").signal("TERM");
        lab.process("d2").signal("HUP");
        assertThat(lab.awaitExit("d1")).as("d1's lvsd stopped cleanly").isZero();
        lab.awaitMaster("d2", "d1", Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(60)).until(() -> count(lab.output("d2"), "reload done") > reloads
                || lab.output("d2").contains("reload failed"));
        assertThat(lab.output("d2")).as("d2's reload during the failover").doesNotContain("reload failed");
        settle("d1 stopped, d2 took over and reloaded", mark, failoverBoundMs());
        times.put("master stop + SIGHUP during the failover", seconds(t0));
        long t1 = System.nanoTime();
        knobs = next;
        // The fail-back under traffic: besides the client's busy, new and idle connections, one opened on d2 a moment
        // before d1 returns, which stays idle, so that only the catch-up can tell d1 of it.
        HaLab.Conn justBefore = lab.open(8, 1).get(0);
        lab.startWith("d1", knobs.conf("d1"));
        lab.awaitMaster("d1", "d2", RESTART);
        settle("d1 is back", mark, failoverBoundMs());
        // d1 held back until it had caught up with d2's connections, which d2 replayed at its request.
        String gate = lab.output("d1").lines().filter(l -> l.contains("VI_1 may preempt") || l.contains("VI_1 preempts"))
                .findFirst().orElse(null);
        assertThat(gate).as("d1's fail-back gate decided" + lab.outputs()).isNotNull();
        gates.add(gate.substring(gate.indexOf("VI_1")));
        assertThat(gate).as("d1 preempted once caught up" + lab.outputs()).contains("VI_1 may preempt 10.99.0.12: caught up");
        assertThat(lab.output("d2")).as("d2 replayed its table").contains("at 10.99.0.11's catch-up request");
        assertThat(justBefore.works("after the fail-back")).as("the connection opened a moment before d1 returned"
                + lab.outputs()).isTrue();
        justBefore.close();
        assertThat(tableWrites("d1", mark)).as("d1's table writes across its restart").isEmpty();
        assertThat(tableWrites("d2", mark)).as("d2's table writes: the edit was VRRP only").isEmpty();
        times.put("master restart, catch-up and fail-back", seconds(t1));
    }

    // ---- checks

    /** Where each director's log and capture stood, and the client's counters, when a row began. */
    record Mark(Map<String, Integer> logs, Map<String, Integer> writes, Traffic.Counts traffic) {
    }

    Mark mark() throws Exception {
        Map<String, Integer> logs = new LinkedHashMap<>();
        Map<String, Integer> writes = new LinkedHashMap<>();
        for (String d : List.of("d1", "d2")) {
            logs.put(d, lab.output(d).length());
            writes.put(d, allWrites(d).size());
        }
        return new Mark(logs, writes, traffic.counts());
    }

    void reload(String director, Knobs k) throws Exception {
        lab.configure(director, k.conf(director));
        int before = count(lab.output(director), "reload done");
        lab.process(director).signal("HUP");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                count(lab.output(director), "reload done") > before || lab.output(director).contains("reload failed"));
        assertThat(lab.output(director)).as(director + "'s reload").doesNotContain("reload failed");
    }

    /**
     * Lets the client make progress after the change (6 more new connections and 15 more UDP replies, about 1.5
     * s of its traffic), then checks it saw nothing break since {@code mark}.
     */
    void settle(String what, Mark mark) throws Exception {
        settle(what, mark, UDP_BOUND_MS);
    }

    /**
     * The longest UDP outage a failover row may cause: the protocol's own bound, Master_Down_Interval of the backup
     * at the current advert interval (3 x interval + Skew_Time), within which a backup takes over a dead master.
     */
    long failoverBoundMs() {
        long advertMs = java.time.Duration.parse("PT" + knobs.advert.toUpperCase(Locale.ROOT)).toMillis();
        int prio = Math.min(knobs.prio1, knobs.prio2);
        return 3 * advertMs + (256 - prio) * advertMs / 256;
    }

    void settle(String what, Mark mark, long udpBoundMs) throws Exception {
        Traffic.Counts before = traffic.counts();
        await(what + ": client traffic goes on").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> traffic.counts().opened() >= before.opened() + 6
                        && traffic.counts().udpReplies() >= before.udpReplies() + 15);
        Traffic.Counts now = traffic.counts();
        assertThat(traffic.failures()).as(what + ": client failures" + lab.outputs()).isEmpty();
        assertThat(now.longLived()).as(what + ": long-lived connections alive").isEqualTo(Traffic.LONG_LIVED);
        assertThat(now.opened()).as(what + ": new connections keep opening").isGreaterThan(mark.traffic().opened());
        assertThat(traffic.maxUdpGapMs(mark.traffic())).as(what + ": longest UDP gap (ms)").isLessThan(udpBoundMs);
    }

    void checkWrites(String what, String director, Mark mark, List<String> writes, List<String> later) throws Exception {
        what = what + " (" + director + ")";
        List<String> got = allWrites(director).subList(mark.writes().get(director), allWrites(director).size());
        if (writes == null) {
            assertThat(got).as(what + ": only sync daemon writes").isNotEmpty()
                    .allMatch(w -> w.startsWith("NEW_DAEMON") || w.startsWith("DEL_DAEMON"));
            return;
        }
        List<String> table = got.stream().filter(w -> !w.contains("DAEMON")).toList();
        assertThat(table.subList(0, Math.min(writes.size(), table.size()))).as(what + ": IPVS writes " + got)
                .isEqualTo(writes);
        assertThat(table.subList(writes.size(), table.size())).as(what + ": IPVS writes after the minimal ones " + got)
                .allMatch(later::contains);
        assertThat(got).as(what + ": sync daemon writes").noneMatch(w -> w.contains("DAEMON"));
    }

    List<String> allWrites(String director) throws Exception {
        return captures.get(director).writes();
    }

    List<String> tableWrites(String director, Mark mark) throws Exception {
        List<String> all = allWrites(director);
        return all.subList(mark.writes().get(director), all.size()).stream().filter(w -> !w.contains("DAEMON")).toList();
    }

    /** VRRP transitions logged since {@code mark}, as "d1 VI_1: BACKUP -> MASTER (...)". */
    List<String> transitions(Mark mark) {
        List<String> out = new ArrayList<>();
        for (String d : List.of("d1", "d2")) {
            String log = lab.output(d);
            int from = Math.min(mark.logs().get(d), log.length());
            for (String line : log.substring(from).split("\n")) {
                int at = line.indexOf("vrrp: VI_");
                if (at >= 0 && STATE_CHANGE.matcher(line).find()) {
                    out.add(d + " " + line.substring(at + 6));
                }
            }
        }
        return out;
    }

    static final java.util.regex.Pattern STATE_CHANGE =
            java.util.regex.Pattern.compile("VI_\\d+: (INIT|BACKUP|MASTER|FAULT) -> ");

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    void printTimes(double total) {
        StringBuilder b = new StringBuilder("ReloadVmTest: time per row (s)\n");
        times.forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %-45s %7.1f%n", k, v)));
        b.append(String.format(Locale.ROOT, "  %-45s %7.1f%n", "total", total));
        if (traffic != null) {
            b.append(String.format(Locale.ROOT, "  client: %d new connections, %d UDP replies, longest UDP gap %d ms%n",
                    traffic.counts().opened(), traffic.counts().udpReplies(), traffic.maxUdpGapMs(null)));
        }
        gates.forEach(g -> b.append("  fail-back: ").append(g).append('\n'));
        System.out.print(b);
    }

    // ---- the client

    /**
     * 20 long-lived connections (10 DR, 10 NAT) each exchanging a line every 200 ms, a new connection every 250 ms,
     * and a UDP datagram every 100 ms to the NAT UDP service. Every loop ends when stopped or after 20 minutes.
     */
    static final class Traffic {
        static final int LONG_LIVED = 20;
        /** Connections that carry nothing after their first line until the test ends. */
        static final int IDLE = 10;
        final List<HaLab.Conn> idle = new ArrayList<>();
        static final long DEADLINE_NANOS = TimeUnit.MINUTES.toNanos(20);
        final HaLab lab;
        final AtomicBoolean run = new AtomicBoolean(true);
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<HaLab.Conn> conns = new ArrayList<>();
        final AtomicInteger alive = new AtomicInteger();
        final AtomicLong opened = new AtomicLong();
        final AtomicLong udpReplies = new AtomicLong();
        /** Replies' arrival times in ms since start, for gaps; bounded by the deadline (at most 12,000). */
        final List<Long> udpTimes = new CopyOnWriteArrayList<>();
        final long start = System.nanoTime();
        final List<Thread> threads = new ArrayList<>();
        DatagramSocket udp;
        volatile long stoppedAtMs;

        record Counts(int longLived, long opened, long udpReplies, long atMs) {
        }

        Traffic(HaLab lab) {
            this.lab = lab;
        }

        void start() throws Exception {
            conns.addAll(lab.open(7, LONG_LIVED / 2));
            conns.addAll(lab.open(8, LONG_LIVED / 2));
            idle.addAll(lab.open(7, IDLE / 2));
            idle.addAll(lab.open(8, IDLE / 2));
            alive.set(conns.size());
            udp = NetNamespace.call(lab.net.name("c1"), () -> {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress("10.99.0.50", 0));
                s.setSoTimeout(100);
                return s;
            });
            threads.add(loop("pump", 200, () -> {
                for (HaLab.Conn c : conns) {
                    if (!c.socket.isClosed() && !c.works("ping")) {
                        failures.add(String.format(Locale.ROOT, "%.1f s: long-lived connection %d (%s) broke",
                                ms() / 1000.0, c.port, c.owner));
                        alive.decrementAndGet();
                        c.close();
                    }
                }
            }));
            AtomicInteger n = new AtomicInteger();
            threads.add(loop("opener", 250, () -> {
                int port = n.incrementAndGet() % 2 == 0 ? 7 : 8;
                try (HaLab.Conn c = lab.new Conn(port)) {
                    opened.incrementAndGet();
                } catch (Exception e) {
                    failures.add(String.format(Locale.ROOT, "%.1f s: new connection to :%d failed: %s", ms() / 1000.0,
                            port, e.getMessage()));
                }
            }));
            threads.add(loop("udp", 100, () -> {
                byte[] d = Long.toString(ms()).getBytes(StandardCharsets.US_ASCII);
                udp.send(new DatagramPacket(d, d.length, new InetSocketAddress(VIP, 9)));
                byte[] buf = new byte[256];
                try {
                    while (true) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        udp.receive(p);
                        udpReplies.incrementAndGet();
                        udpTimes.add(ms());
                    }
                } catch (SocketTimeoutException drained) {
                    // nothing more for now
                }
            }));
        }

        interface Step {
            void run() throws Exception;
        }

        Thread loop(String name, long everyMs, Step step) {
            Thread t = new Thread(() -> {
                while (run.get() && System.nanoTime() - start < DEADLINE_NANOS) {
                    long t0 = System.nanoTime();
                    try {
                        step.run();
                    } catch (Exception e) {
                        failures.add(name + ": " + e);
                    }
                    long left = TimeUnit.MILLISECONDS.toNanos(everyMs) - (System.nanoTime() - t0);
                    if (left > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(left);
                    }
                }
            }, "traffic-" + name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        long ms() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }

        List<String> failures() {
            return failures;
        }

        /** The idle connections that no longer answer from their real server (each is used once here). */
        List<String> idleBroken() {
            List<String> broken = new ArrayList<>();
            for (HaLab.Conn c : idle) {
                if (!c.works("still there")) {
                    broken.add(c.port + " (" + c.owner + ")");
                }
            }
            return broken;
        }

        Counts counts() {
            return new Counts(alive.get(), opened.get(), udpReplies.get(), ms());
        }

        /**
         * The longest stretch without a UDP reply since {@code since} (null: since the stream started), to now or
         * to when the stream stopped.
         */
        long maxUdpGapMs(Counts since) {
            long from = since == null ? 0 : since.atMs();
            long prev = from;
            long max = 0;
            for (long t : udpTimes) {
                if (t < from) {
                    continue;
                }
                max = Math.max(max, t - prev);
                prev = t;
            }
            return Math.max(max, (run.get() ? ms() : stoppedAtMs) - prev);
        }

        void stop() throws Exception {
            if (!run.getAndSet(false)) {
                return;
            }
            stoppedAtMs = ms();
            for (Thread t : threads) {
                t.join(10_000);
            }
            for (HaLab.Conn c : conns) {
                c.close();
            }
            for (HaLab.Conn c : idle) {
                c.close();
            }
            if (udp != null) {
                udp.close();
            }
        }
    }
}
