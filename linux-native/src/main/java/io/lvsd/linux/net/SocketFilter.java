package io.lvsd.linux.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A classic BPF program for {@code SO_ATTACH_FILTER} (socket(7), the kernel's
 * Documentation/networking/filter.rst): the kernel runs it on every packet before the packet is queued on the
 * socket, and drops it when the program returns 0. Instruction encodings are those of {@code linux/bpf_common.h}
 * and {@code linux/filter.h}.
 *
 * <p>A program is written with {@link Builder}, whose jumps name labels; a label is resolved to the forward offset
 * classic BPF wants when the program is built. A load outside the packet ends the program with 0 (drop), so a
 * program that reads a field checks the length first.
 *
 * <p>Where offset 0 lies depends on the socket: a raw IPv4 socket's program sees the IP header at 0, a raw IPv6
 * socket's sees the transport header at 0 (the IPv6 header and its extensions are already pulled); {@link #NET}
 * reaches the network header in both.
 */
public final class SocketFilter {
    /** Added to an absolute offset, reaches into the network header ({@code SKF_NET_OFF}). */
    public static final int NET = -0x100000;
    /** The verdict that keeps the whole packet (any value at least its length). */
    public static final int KEEP = -1;
    /** The verdict that drops the packet. */
    public static final int DROP = 0;
    /** {@code BPF_MAXINSNS}. */
    static final int MAX_INSTRUCTIONS = 4096;

    static final int LD_W_ABS = 0x20;
    static final int LD_B_ABS = 0x30;
    static final int LD_B_IND = 0x50;
    static final int LD_W_LEN = 0x80;
    static final int LDX_B_MSH = 0xb1;
    static final int ADD_K = 0x04;
    static final int TAX = 0x07;
    static final int TXA = 0x87;
    static final int JA = 0x05;
    static final int JEQ_K = 0x15;
    static final int JGE_K = 0x35;
    static final int JGE_X = 0x3d;
    static final int RET_K = 0x06;

    private final byte[] code;
    private final int length;

    private SocketFilter(byte[] code, int length) {
        this.code = code;
        this.length = length;
    }

    /** The number of instructions. */
    public int length() {
        return length;
    }

    /** The program as the kernel takes it: {@code struct sock_filter}s (u16 code, u8 jt, u8 jf, u32 k), native order. */
    public byte[] instructions() {
        return code.clone();
    }

    /** Writes a program; every jump names a label {@link #label defined} later in the program. */
    public static final class Builder {
        private record Insn(int op, String jt, String jf, int k) {
        }

        private final List<Insn> insns = new ArrayList<>();
        private final Map<String, Integer> labels = new LinkedHashMap<>();

        /** The next instruction is {@code name}. */
        public Builder label(String name) {
            if (labels.putIfAbsent(name, insns.size()) != null) {
                throw new IllegalArgumentException("label " + name + " defined twice");
            }
            return this;
        }

        /** A = the 32-bit word at {@code offset} (network order). */
        public Builder loadWord(int offset) {
            return add(LD_W_ABS, offset);
        }

        /** A = the byte at {@code offset}. */
        public Builder loadByte(int offset) {
            return add(LD_B_ABS, offset);
        }

        /** A = the byte at X + {@code offset}. */
        public Builder loadByteAtX(int offset) {
            return add(LD_B_IND, offset);
        }

        /** A = the packet's length. */
        public Builder loadLength() {
            return add(LD_W_LEN, 0);
        }

        /** X = 4 * (the byte at {@code offset} &amp; 0xf): an IPv4 header's length. */
        public Builder loadHeaderLengthToX(int offset) {
            return add(LDX_B_MSH, offset);
        }

        /** A = A + {@code k}. */
        public Builder addToA(int k) {
            return add(ADD_K, k);
        }

        /** X = A. */
        public Builder aToX() {
            return add(TAX, 0);
        }

        /** A = X. */
        public Builder xToA() {
            return add(TXA, 0);
        }

        /** Goes to {@code target} if A == {@code k}, else to {@code otherwise} (null: the next instruction). */
        public Builder ifEquals(int k, String target, String otherwise) {
            insns.add(new Insn(JEQ_K, target, otherwise, k));
            return this;
        }

        /** Goes to {@code target} if A &gt;= {@code k} (unsigned), else to {@code otherwise}. */
        public Builder ifAtLeast(int k, String target, String otherwise) {
            insns.add(new Insn(JGE_K, target, otherwise, k));
            return this;
        }

        /** Goes to {@code target} if A &gt;= X (unsigned), else to {@code otherwise}. */
        public Builder ifAtLeastX(String target, String otherwise) {
            insns.add(new Insn(JGE_X, target, otherwise, 0));
            return this;
        }

        /** Goes to {@code target}, however far. */
        public Builder jump(String target) {
            insns.add(new Insn(JA, target, null, 0));
            return this;
        }

        /** Ends with {@code verdict} ({@link #KEEP} or {@link #DROP}). */
        public Builder ret(int verdict) {
            return add(RET_K, verdict);
        }

        private Builder add(int op, int k) {
            insns.add(new Insn(op, null, null, k));
            return this;
        }

        /**
         * The program; fails when a label is missing or behind its jump, a label follows the last instruction, a
         * conditional jump reaches further than 255 instructions, the program is longer than the kernel takes, or it
         * does not end with a return.
         */
        public SocketFilter build() {
            int n = insns.size();
            if (n == 0 || n > MAX_INSTRUCTIONS) {
                throw new IllegalStateException("a program of " + n + " instructions (1 to " + MAX_INSTRUCTIONS + ")");
            }
            if (insns.get(n - 1).op != RET_K) {
                throw new IllegalStateException("the program does not end with a return");
            }
            for (Map.Entry<String, Integer> l : labels.entrySet()) {
                // A jump there would leave the program, which the kernel refuses (EINVAL at SO_ATTACH_FILTER).
                if (l.getValue() >= n) {
                    throw new IllegalStateException("label " + l.getKey() + " at " + l.getValue()
                            + ": after the last instruction (expected: 0-" + (n - 1) + ")");
                }
            }
            ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.nativeOrder());
            for (int pc = 0; pc < n; pc++) {
                Insn i = insns.get(pc);
                if (i.op == JA) {
                    b.putShort((short) i.op).put((byte) 0).put((byte) 0).putInt(offset(pc, i.jt, Integer.MAX_VALUE));
                    continue;
                }
                int jt = i.jt == null ? 0 : offset(pc, i.jt, 255);
                int jf = i.jf == null ? 0 : offset(pc, i.jf, 255);
                b.putShort((short) i.op).put((byte) jt).put((byte) jf).putInt(i.k);
            }
            return new SocketFilter(b.array(), n);
        }

        private int offset(int pc, String label, int max) {
            Integer at = labels.get(label);
            if (at == null || at <= pc) {
                throw new IllegalStateException("jump at " + pc + " to " + label + ": not a later instruction");
            }
            int off = at - pc - 1;
            if (off > max) {
                throw new IllegalStateException("jump at " + pc + " to " + label + ": " + off + " instructions away, "
                        + "more than " + max);
            }
            return off;
        }
    }
}
