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
        run(ctx, runner.get(), spec.command(), "script", r -> ctx.complete(judge(spec, r, ctx.elapsedNanos())));
    }

    /**
     * Runs {@code command} for a probe off its event loop, keeping the start of its output, and hands the result
     * back on the loop; a command that could not be run at all ends the probe as down, named as {@code what}.
     */
    static void run(ProbeContext ctx, ScriptRunner runner, io.lvsd.linux.proc.Command command, String what,
                    java.util.function.Consumer<ScriptRunner.Result> then) {
        runner.runCapturing(command, List.of(), ctx.config().timeout()).whenComplete((r, e) ->
                ctx.loop().execute(() -> {
                    if (e != null) {
                        ctx.down(what + " " + command + ": " + e.getMessage());
                    } else {
                        then.accept(r);
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
