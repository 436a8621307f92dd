package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpellingTest {
    @Test
    void suggestsTheNearestWordWithinTwoEditsOrAThirdOfTheLength() {
        assertThat(Spelling.closest("priorty", List.of("priority", "preempt", "interface"))).isEqualTo("priority");
        assertThat(Spelling.closest("vrrp_instanse", List.of("vrrp_script", "vrrp_instance"))).isEqualTo("vrrp_instance");
        assertThat(Spelling.closest("Interval", List.of("interval"))).isEqualTo("interval");
        assertThat(Spelling.closest("frobnicate", List.of("priority", "interface"))).isNull();
        assertThat(Spelling.closest("x", List.of())).isNull();
    }

    @Test
    void aTieGoesToTheAlphabeticallyFirstWhateverTheOrder() {
        assertThat(Spelling.closest("cat", List.of("cot", "bat"))).isEqualTo("bat");
        assertThat(Spelling.closest("cat", List.of("bat", "cot"))).isEqualTo("bat");
    }

    @Test
    void distanceCountsInsertionsDeletionsAndSubstitutions() {
        assertThat(Spelling.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Spelling.distance("", "abc")).isEqualTo(3);
        assertThat(Spelling.distance("same", "same")).isZero();
    }
}
