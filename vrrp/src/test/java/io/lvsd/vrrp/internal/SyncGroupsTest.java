package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyncGroupsTest {
    final Map<String, VrrpStateMachine> machines = new HashMap<>(Map.of("VI_1", SyncGroupTest.member(51, 150),
            "VI_2", SyncGroupTest.member(52, 150), "VI_3", SyncGroupTest.member(53, 150)));
    final SyncGroups groups = new SyncGroups();

    static SyncGroupConfig group(String name, String... members) {
        return new SyncGroupConfig(name, List.of(members), NotifyCommands.none());
    }

    @Test
    void aReloadKeepsAnUnchangedGroupAndRebuildsAChangedOneOrOneWithANewMember() {
        List<SyncGroup> fresh = groups.rebuild(List.of(group("G1", "VI_1", "VI_2")), Set.of(), List.of("VI_1", "VI_2"),
                machines::get);
        SyncGroup g1 = groups.named("G1");
        assertThat(fresh).containsExactly(g1);
        assertThat(groups.of("VI_2")).isSameAs(g1);
        assertThat(groups.nameOf("VI_3")).isNull();

        fresh = groups.rebuild(List.of(group("G1", "VI_1", "VI_2"), group("G2", "VI_3")), Set.of(), List.of(),
                machines::get);
        assertThat(groups.named("G1")).as("unchanged: the same object, and what it knows of faults").isSameAs(g1);
        assertThat(fresh).containsExactly(groups.named("G2"));

        fresh = groups.rebuild(List.of(group("G1", "VI_1", "VI_2", "VI_3")), Set.of("G1"), List.of(), machines::get);
        assertThat(fresh).singleElement().isNotSameAs(g1);
        assertThat(groups.named("G2")).isNull();
        assertThat(groups.of("VI_3")).isSameAs(groups.named("G1"));

        machines.put("VI_2", SyncGroupTest.member(52, 100));
        fresh = groups.rebuild(List.of(group("G1", "VI_1", "VI_2", "VI_3")), Set.of(), List.of("VI_2"), machines::get);
        assertThat(fresh).as("a member restarted: the group holds its new state machine").hasSize(1);
    }

    @Test
    void aGroupNotifiesOnceWhenAllItsMembersSettleInOneState() {
        groups.rebuild(List.of(group("G1", "VI_1", "VI_2")), Set.of(), List.of(), machines::get);
        Map<String, VrrpState> states = new HashMap<>(Map.of("VI_1", VrrpState.BACKUP, "VI_2", VrrpState.MASTER));
        assertThat(groups.settled("G1", states::get)).as("members disagree").isNull();
        states.put("VI_2", VrrpState.BACKUP);
        assertThat(groups.settled("G1", states::get)).isEqualTo(VrrpState.BACKUP);
        assertThat(groups.settled("G1", states::get)).as("once per state").isNull();
        states.remove("VI_1");
        states.put("VI_2", VrrpState.MASTER);
        assertThat(groups.settled("G1", states::get)).as("a member is not running").isNull();
        states.put("VI_1", VrrpState.MASTER);
        assertThat(groups.settled("G1", states::get)).isEqualTo(VrrpState.MASTER);
        assertThat(groups.settled("NOPE", states::get)).isNull();
        groups.rebuild(List.of(group("G1", "VI_1", "VI_2")), Set.of("G1"), List.of(), machines::get);
        assertThat(groups.settled("G1", states::get)).as("a rebuilt group notifies its state again")
                .isEqualTo(VrrpState.MASTER);
    }
}
