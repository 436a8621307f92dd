package io.lvsd.controller.vrrp;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.vrrp.ReloadChange;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reload rows of garp.* and scripts.*: said, counted, and no state change (nothing else is asked of VRRP). */
class VrrpSettingsReloadTest {
    @TempDir
    Path dir;

    LvsdConfig config(String garp, String scripts) {
        return TestConfigs.valid(dir, """
                director.name = d1
                %s
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = 100,
                  virtual-addresses = ["10.0.0.100/24"] %s }
                vrrp.instances.VI_2 { interface = eth0, virtual-router-id = 52, priority = 100,
                  virtual-addresses = ["10.0.0.101/24"] }
                """.formatted(scripts, garp));
    }

    @Test
    void aGarpEditIsOneChangeOfThatInstance() {
        List<ReloadChange> c = VrrpComponent.settingsChanges(config("", ""),
                config(", garp { repeat = 3, refresh = 60s }", ""));
        assertThat(c).extracting(ReloadChange::subject, ReloadChange::action).containsExactly(
                org.assertj.core.groups.Tuple.tuple("VI_1", "garp"));
        assertThat(c.get(0).describe()).isEqualTo("VI_1: garp delay 5000 ms, repeat 5, refresh 0 ms, refresh-repeat 1"
                + " -> delay 5000 ms, repeat 3, refresh 60000 ms, refresh-repeat 1 (from the next announcement; no state"
                + " change)");
    }

    @Test
    void aScriptsEditIsOneChange() {
        List<ReloadChange> c = VrrpComponent.settingsChanges(config("", "scripts.user = nobody"),
                config("", "scripts { user = nobody, timeout = 20s, max-concurrent = 4 }"));
        assertThat(c).extracting(ReloadChange::action).containsExactly("scripts");
        assertThat(c.get(0).describe()).contains("timeout", "-> 20000 ms", "max-concurrent", "-> 4",
                "from their next run");
    }

    @Test
    void nothingChangedIsNoChangeAndANewInstanceIsTheModulesOwn() {
        assertThat(VrrpComponent.settingsChanges(config("", ""), config("", ""))).isEmpty();
        LvsdConfig without = TestConfigs.valid(dir, """
                director.name = d1
                vrrp.instances.VI_2 { interface = eth0, virtual-router-id = 52, priority = 100,
                  virtual-addresses = ["10.0.0.101/24"] }
                """);
        assertThat(VrrpComponent.settingsChanges(without, config(", garp.repeat = 2", ""))).isEmpty();
    }
}
