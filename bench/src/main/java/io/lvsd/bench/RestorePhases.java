package io.lvsd.bench;

import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.ipvs.NetlinkIpvsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Where the time of a restore goes, in one process: parse, build and send, per phase. */
public final class RestorePhases {
    public static void main(String[] args) throws Exception {
        int per = Integer.parseInt(args[0]);
        for (int run = 0; run < 3; run++) {
            long t0 = System.nanoTime();
            String rules = IpvsBench.rules(100, per);
            long t1 = System.nanoTime();
            List<IpvsOp> ops = new ArrayList<>();
            for (IpvsadmFormat.Restore.Step s : IpvsadmFormat.parseRestore(rules).steps()) {
                ops.add(s.op());
            }
            long t2 = System.nanoTime();
            try (NetlinkIpvsClient c = NetlinkIpvsClient.open()) {
                long t3 = System.nanoTime();
                c.apply(ops);
                long t4 = System.nanoTime();
                c.dump();
                long t5 = System.nanoTime();
                c.flush();
                System.out.printf(Locale.ROOT, "run %d: generate %.2f s, parse %.2f s, apply %.2f s, dump %.2f s%n", run,
                        (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t4 - t3) / 1e9, (t5 - t4) / 1e9);
            }
        }
    }

    private RestorePhases() {
    }
}
