package io.lvsd.bench;

import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.ipvs.NetlinkIpvsClient;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Loading IPVS tables: ipvsadm -R against lvsd ipvs restore (whole processes) and against lvsd's
 * in-process pipelined apply, alternating, 5 runs each with a flush between; then the reconcile
 * of one weight change in a 10,000-destination table. Runs inside the lab VM (bench/ipvs.sh).
 * Prints figures; asserts nothing about time.
 */
public final class IpvsBench {
    private static final int RUNS = 5;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        String lvsd = args[1];
        StringBuilder md = new StringBuilder();
        md.append("| destinations | ipvsadm -R (s) | lvsd ipvs restore (s) | ratio | lvsd in-process apply (s) | ratio |\n");
        md.append("|---:|---:|---:|---:|---:|---:|\n");
        // IPVS_BENCH_PER: destinations per service of each shape, 100 services each (default "100 500")
        String[] per = System.getenv().getOrDefault("IPVS_BENCH_PER", "100 500").trim().split("\\s+");
        for (String p : per) {
            int services = 100;
            int perService = Integer.parseInt(p);
            String rules = rules(services, perService);
            Path file = out.resolve("rules-" + services * perService + ".txt");
            Files.writeString(file, rules);
            List<IpvsOp> ops = new ArrayList<>();
            for (IpvsadmFormat.Restore.Step s : IpvsadmFormat.parseRestore(rules).steps()) {
                ops.add(s.op());
            }
            double[] ipvsadm = new double[RUNS];
            double[] restore = new double[RUNS];
            double[] inProcess = new double[RUNS];
            for (int i = 0; i < RUNS; i++) {
                flush();
                ipvsadm[i] = timeProcess(file, "ipvsadm", "-R");
                check(services * perService);
                flush();
                restore[i] = timeProcess(file, lvsd, "ipvs", "restore");
                check(services * perService);
                flush();
                try (NetlinkIpvsClient c = NetlinkIpvsClient.open()) {
                    long t0 = System.nanoTime();
                    ApplyResult r = c.apply(ops);
                    inProcess[i] = (System.nanoTime() - t0) / 1e9;
                    if (!r.allApplied()) {
                        throw new IllegalStateException("in-process apply failed: " + r.failures().get(0).describe());
                    }
                }
                check(services * perService);
                System.out.printf(Locale.ROOT, "%d dests run %d: ipvsadm -R %.3f s, lvsd ipvs restore %.3f s, in-process %.3f s%n",
                        services * perService, i + 1, ipvsadm[i], restore[i], inProcess[i]);
            }
            double a = median(ipvsadm);
            double b = median(restore);
            double c = median(inProcess);
            md.append(String.format(Locale.ROOT, "| %,d | %.3f | %.3f | %.1f× | %.3f | %.1f× |%n", services * perService, a, b,
                    a / b, c, a / c));
        }
        flush();
        md.append('\n').append(reconcileOneWeight()).append('\n');
        flush();
        Files.writeString(out.resolve("ipvs-bench.md"), md.toString());
        System.out.println(md);
    }

    /** 100 services with {@code per} NAT destinations each, in ipvsadm -R's format. */
    static String rules(int services, int per) {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < services; s++) {
            String vip = "10.0." + (s / 250) + "." + (s % 250 + 1) + ":80";
            b.append("-A -t ").append(vip).append(" -s wlc\n");
            for (int d = 0; d < per; d++) {
                b.append("-a -t ").append(vip).append(" -r 10.").append(100 + d / 250).append('.').append(s % 250)
                        .append('.').append(d % 250 + 1).append(":8080 -m -w 1\n");
            }
        }
        return b.toString();
    }

    static String reconcileOneWeight() throws Exception {
        String rules = rules(100, 100);
        List<IpvsOp> ops = new ArrayList<>();
        for (IpvsadmFormat.Restore.Step s : IpvsadmFormat.parseRestore(rules).steps()) {
            ops.add(s.op());
        }
        try (NetlinkIpvsClient c = NetlinkIpvsClient.open()) {
            c.apply(ops);
            List<Reconciler.DesiredService> desired = new ArrayList<>();
            Set<ServiceKey> owned = new HashSet<>();
            for (ServiceState s : c.dump()) {
                List<Destination> ds = new ArrayList<>();
                s.destinations().forEach(d -> ds.add(d.destination()));
                desired.add(new Reconciler.DesiredService(s.service(), ds));
                owned.add(s.service().key());
            }
            List<Destination> changed = new ArrayList<>(desired.get(42).destinations());
            changed.set(17, changed.get(17).withWeight(5));
            desired.set(42, new Reconciler.DesiredService(desired.get(42).service(), changed));
            double[] t = new double[RUNS];
            int opCount = -1;
            for (int i = 0; i < RUNS; i++) {
                long t0 = System.nanoTime();
                Reconciler.Report r = Reconciler.reconcile(c, desired, owned);
                t[i] = (System.nanoTime() - t0) / 1e9;
                if (i == 0) {
                    opCount = r.plan().ops().size();
                }
                // Put the weight back for the next run.
                c.apply(List.of(new IpvsOp.EditDest(desired.get(42).service().key(), changed.get(17).withWeight(1))));
            }
            return String.format(Locale.ROOT, "Reconcile of one weight change in a 10,000-destination table "
                    + "(dump + compare + apply): %d operation(s), median %.3f s over %d runs.", opCount, median(t), RUNS);
        }
    }

    static double timeProcess(Path input, String... cmd) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectInput(input.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("/tmp/bench-process.log"))).start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed; see /tmp/bench-process.log:\n"
                    + Files.readString(Path.of("/tmp/bench-process.log")));
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static void flush() throws Exception {
        Process p = new ProcessBuilder("ipvsadm", "-C").inheritIO().start();
        p.waitFor();
    }

    static void check(int expected) throws Exception {
        Process p = new ProcessBuilder("ipvsadm", "-Sn").start();
        long dests = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines()
                .filter(l -> l.startsWith("-a")).count();
        p.waitFor();
        if (dests != expected) {
            throw new IllegalStateException("expected " + expected + " destinations, the kernel has " + dests);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private IpvsBench() {
    }
}
