package io.lvsd.controller.cli;

import io.lvsd.controller.BuildInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code lvsd version}. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the lvsd and Java versions.",
        footer = {"", "Example:", "  lvsd version"})
public final class VersionCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(BuildInfo.describe());
        return 0;
    }
}
