package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.proc.Command;
import org.junit.jupiter.api.Test;

class CommandTest {
    @Test
    void splitsOnWhiteSpaceAndHonoursQuotes() {
        assertThat(Command.parse("/bin/notify  master 'two words' \"a \\\"b\\\"\" x\\ y").argv())
                .containsExactly("/bin/notify", "master", "two words", "a \"b\"", "x y");
    }

    @Test
    void rejectsEmptyAndUnterminated() {
        assertThatThrownBy(() -> Command.parse("   ")).hasMessageContaining("expected a program");
        assertThatThrownBy(() -> Command.parse("/bin/x 'oops")).hasMessageContaining("unterminated ' quote");
    }
}
