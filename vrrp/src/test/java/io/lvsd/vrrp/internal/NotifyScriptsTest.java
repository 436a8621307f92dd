package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.proc.Command;
import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keepalived's notify contract, with a real script that writes down how it was called. */
class NotifyScriptsTest {
    @TempDir
    Path dir;
    final ScriptRunner runner = new ScriptRunner("root", 2, "notify-test");

    @AfterEach
    void close() {
        runner.close();
    }

    Command script(String tag) throws Exception {
        Path s = dir.resolve("notify.sh");
        if (!Files.exists(s)) {
            Files.writeString(s, "#!/bin/sh\necho \"$*\" >> " + dir.resolve("calls") + "\n");
            Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return Command.parse(s + " " + tag);
    }

    List<String> calls() throws Exception {
        Path c = dir.resolve("calls");
        return Files.exists(c) ? Files.readAllLines(c) : List.of();
    }

    @Test
    void aStatesOwnScriptRunsThenTheGenericOneInOrderAcrossTransitions() throws Exception {
        NotifyScripts notify = new NotifyScripts(runner, Duration.ofSeconds(10));
        NotifyCommands n = new NotifyCommands(script("own-master"), script("own-backup"), null, script("own-stop"),
                script("any"));
        CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
        chain = notify.instance(chain, "VI_1", n, VrrpState.MASTER, 150);
        chain = notify.instance(chain, "VI_1", n, VrrpState.BACKUP, 150);
        chain = notify.instance(chain, "VI_1", n, VrrpState.FAULT, 150);
        chain = notify.instance(chain, "VI_1", n, VrrpState.INIT, 0);
        chain.get(30, TimeUnit.SECONDS);
        assertThat(calls()).containsExactly("own-master", "any INSTANCE VI_1 MASTER 150", "own-backup",
                "any INSTANCE VI_1 BACKUP 150", "any INSTANCE VI_1 FAULT 150", "own-stop", "any INSTANCE VI_1 STOP 0");
    }

    @Test
    void aGroupNotifiesWithItsNameAndAFailedScriptDoesNotBreakTheChain() throws Exception {
        NotifyScripts notify = new NotifyScripts(runner, Duration.ofSeconds(10));
        CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
        NotifyCommands broken = new NotifyCommands(Command.parse(dir.resolve("missing") + ""), null, null, null, null);
        chain = notify.instance(chain, "VI_1", broken, VrrpState.MASTER, 150);
        notify.settings(runner, Duration.ofSeconds(5));
        chain = notify.group(chain, new SyncGroupConfig("G1", List.of("VI_1", "VI_2"),
                new NotifyCommands(null, script("group-backup"), null, null, script("any"))), VrrpState.BACKUP, 100);
        chain.get(30, TimeUnit.SECONDS);
        assertThat(calls()).containsExactly("group-backup", "any GROUP G1 BACKUP 100");
    }
}
