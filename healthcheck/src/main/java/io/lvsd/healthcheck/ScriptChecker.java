package io.lvsd.healthcheck;

import io.lvsd.linux.proc.ScriptRunner;
import java.util.List;

/**
 * {@code script}: runs the command on the director through the {@link ScriptRunner} (as {@code scripts.user}, in
 * a process group of its own that the timeout kills whole). Exit 0 is up; with {@code dynamic}, exit 2-255 is up
 * with weight {@code code - 2}; anything else is down, and the start of what the script printed goes into the
 * detail so that the log says why.
 */
public final class ScriptChecker implements Checker {
    /** How much of a failing script's output the detail carries. */
    static final int DETAIL_OUTPUT = 200;

    private final java.util.function.Supplier<ScriptRunner> runner;

    /** @param runner the runner in force at each probe (a reload may replace it with another scripts.user) */
    public ScriptChecker(java.util.function.Supplier<ScriptRunner> runner) {
        this.runner = runner;
    }

    @Override
    public void probe(ProbeContext ctx) {
        CheckSpec.Script spec = (CheckSpec.Script) ctx.config().spec();
        runner.get().runCapturing(spec.command(), List.of(), ctx.config().timeout()).whenComplete((r, e) ->
                ctx.loop().execute(() -> {
                    if (e != null) {
                        ctx.down("script " + spec.command() + ": " + e.getMessage());
                    } else {
                        ctx.complete(judge(spec, r, ctx.elapsedNanos()));
                    }
                }));
    }

    static CheckResult judge(CheckSpec.Script spec, ScriptRunner.Result r, long nanos) {
        if (r.error() != null || r.timedOut()) {
            return CheckResult.down(r.describe() + said(r), nanos);
        }
        int code = r.exitCode();
        if (code == 0) {
            return CheckResult.up("exit 0", nanos);
        }
        if (spec.dynamic() && code >= 2) {
            return CheckResult.up(code - 2, "exit " + code + ": weight " + (code - 2), nanos);
        }
        return CheckResult.down("exit " + code + said(r), nanos);
    }

    private static String said(ScriptRunner.Result r) {
        String out = r.output();
        if (out == null || out.isBlank()) {
            return "";
        }
        String one = out.strip().replaceAll("\\s*\\n\\s*", " | ");
        return ": " + (one.length() > DETAIL_OUTPUT ? one.substring(0, DETAIL_OUTPUT) + " [...]" : one);
    }
}
