package io.lvsd.linux.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The classic BPF builder: encodings from linux/bpf_common.h and linux/filter.h, labels resolved forward. */
class SocketFilterTest {
    /** {code, jt, jf, k} of instruction {@code pc}. */
    static long[] insn(SocketFilter f, int pc) {
        ByteBuffer b = ByteBuffer.wrap(f.instructions()).order(ByteOrder.nativeOrder());
        b.position(8 * pc);
        return new long[] {b.getShort() & 0xffff, b.get() & 0xff, b.get() & 0xff, b.getInt()};
    }

    @Test
    void instructionsAreEncodedAsTheKernelTakesThem() {
        SocketFilter f = new SocketFilter.Builder()
                .loadHeaderLengthToX(0)          // ldxb 4*([0]&0xf)
                .loadByteAtX(1)                  // ldb [x+1]
                .ifEquals(51, "yes", "no")       // jeq #51
                .label("no").ret(SocketFilter.DROP)
                .label("yes").loadWord(SocketFilter.NET + 8).loadLength().ifAtLeast(2, "keep", null)
                .ifAtLeastX("keep", null).xToA().addToA(2).aToX().jump("keep").loadByte(3)
                .label("keep").ret(SocketFilter.KEEP)
                .build();
        assertThat(f.length()).isEqualTo(14);
        assertThat(insn(f, 0)).containsExactly(0xb1, 0, 0, 0);
        assertThat(insn(f, 1)).containsExactly(0x50, 0, 0, 1);
        assertThat(insn(f, 2)).containsExactly(0x15, 1, 0, 51);
        assertThat(insn(f, 3)).containsExactly(0x06, 0, 0, 0);
        assertThat(insn(f, 4)).containsExactly(0x20, 0, 0, -0x100000 + 8);
        assertThat(insn(f, 5)).containsExactly(0x80, 0, 0, 0);
        assertThat(insn(f, 6)).containsExactly(0x35, 6, 0, 2);
        assertThat(insn(f, 7)).containsExactly(0x3d, 5, 0, 0);
        assertThat(insn(f, 8)).containsExactly(0x87, 0, 0, 0);
        assertThat(insn(f, 9)).containsExactly(0x04, 0, 0, 2);
        assertThat(insn(f, 10)).containsExactly(0x07, 0, 0, 0);
        assertThat(insn(f, 11)).containsExactly(0x05, 0, 0, 1);
        assertThat(insn(f, 12)).containsExactly(0x30, 0, 0, 3);
        assertThat(insn(f, 13)).containsExactly(0x06, 0, 0, -1);
    }

    @Test
    void aProgramTheKernelWouldRefuseIsNotBuilt() {
        assertThatThrownBy(() -> new SocketFilter.Builder().build()).hasMessageContaining("0 instructions");
        assertThatThrownBy(() -> new SocketFilter.Builder().loadLength().build())
                .hasMessageContaining("does not end with a return");
        assertThatThrownBy(() -> new SocketFilter.Builder().label("x").ifEquals(1, "x", null).ret(0).build())
                .hasMessageContaining("not a later instruction");
        assertThatThrownBy(() -> new SocketFilter.Builder().ifEquals(1, "nowhere", null).ret(0).build())
                .hasMessageContaining("nowhere");
        SocketFilter.Builder far = new SocketFilter.Builder().ifEquals(1, "end", null);
        for (int i = 0; i < 256; i++) {
            far.loadLength();
        }
        assertThatThrownBy(() -> far.label("end").ret(0).build()).hasMessageContaining("256 instructions away");
        SocketFilter.Builder farJump = new SocketFilter.Builder().jump("end");
        for (int i = 0; i < 256; i++) {
            farJump.loadLength();
        }
        assertThat(farJump.label("end").ret(0).build().length()).as("an unconditional jump reaches anywhere")
                .isEqualTo(258);
        SocketFilter.Builder tooLong = new SocketFilter.Builder();
        for (int i = 0; i < 4096; i++) {
            tooLong.loadLength();
        }
        assertThatThrownBy(() -> tooLong.ret(0).build()).hasMessageContaining("4097 instructions");
        assertThatThrownBy(() -> new SocketFilter.Builder().label("a").label("a"))
                .hasMessageContaining("defined twice");
    }

    @Test
    void aLabelAfterTheLastInstructionIsRefused() {
        // The jump would be forward and within 255, but land past the end of the program.
        assertThatThrownBy(() -> new SocketFilter.Builder().ifEquals(1, "end", null).ret(SocketFilter.KEEP)
                .label("end").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("label end at 2: after the last instruction (expected: 0-1)");
        assertThatThrownBy(() -> new SocketFilter.Builder().jump("end").ret(SocketFilter.DROP).label("end").build())
                .as("an unconditional jump too").hasMessageContaining("label end at 2");
        assertThatThrownBy(() -> new SocketFilter.Builder().ret(SocketFilter.DROP).label("unused").build())
                .as("even one no jump names").hasMessageContaining("label unused at 1");
        assertThat(new SocketFilter.Builder().ifEquals(1, "end", null).ret(SocketFilter.DROP).label("end")
                .ret(SocketFilter.KEEP).build().length()).as("a label on the last instruction").isEqualTo(3);
    }
}
