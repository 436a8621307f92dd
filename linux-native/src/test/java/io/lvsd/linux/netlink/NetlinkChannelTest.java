package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** The request engine against a fake kernel that acks, fails and dumps as the real one does. */
class NetlinkChannelTest {
    /** Answers each message of a datagram with an ack, or -EEXIST when {@code fails} says so. */
    static class FakeKernel implements NetlinkTransport {
        final List<Integer> datagramSizes = new ArrayList<>();
        final Deque<byte[]> queue = new ArrayDeque<>();
        IntPredicate fails = i -> false;
        int received;

        @Override
        public void send(byte[] datagram) {
            List<NlMessage> msgs = NlMessage.parseAll(datagram, datagram.length);
            datagramSizes.add(msgs.size());
            ByteBuffer acks = ByteBuffer.allocate(msgs.size() * 36).order(ByteOrder.nativeOrder());
            int n = 0;
            for (NlMessage m : msgs) {
                boolean barrier = (m.flags() & Netlink.NLM_F_ACK) != 0 && msgs.size() == 1 && m.type() == 0x23;
                int err = barrier ? 0 : fails.test(received++) ? -17 : 0;
                // Like the kernel: an answer when asked for an ack, or on an error.
                if (err != 0 || (m.flags() & Netlink.NLM_F_ACK) != 0) {
                    acks.putInt(36).putShort((short) Netlink.NLMSG_ERROR).putShort((short) Netlink.NLM_F_CAPPED)
                            .putInt(m.seq()).putInt(1234).putInt(err)
                            .putInt(m.payload().remaining() + 16).putShort((short) m.type()).putShort((short) m.flags())
                            .putInt(m.seq()).putInt(0);
                    n++;
                }
            }
            if (n > 0) {
                queue.add(java.util.Arrays.copyOf(acks.array(), n * 36));
            }
        }

        @Override
        public int receive(byte[] buffer) {
            byte[] d = queue.poll();
            if (d == null) {
                return -1;
            }
            System.arraycopy(d, 0, buffer, 0, d.length);
            return d.length;
        }

        @Override
        public int portId() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    private static List<NlBuilder> requests(int n) {
        List<NlBuilder> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(NlBuilder.request(0x22, 0).genl(5, 1).u32(4, i));
        }
        return l;
    }

    private static final NlBuilder BARRIER = NlBuilder.request(0x23, Netlink.NLM_F_ACK).genl(15, 1);

    @Test
    void pipelinesManyRequestsPerDatagramAndMatchesEveryError() throws Exception {
        FakeKernel k = new FakeKernel();
        k.fails = i -> i == 3 || i == 7000;
        List<NetlinkChannel.Outcome> out = new NetlinkChannel(k).pipeline(requests(10_000), BARRIER, "test");
        assertThat(out).hasSize(10_000);
        // 28-byte requests: 7,021 fit in 192 KiB; each batch is followed by its one-message barrier.
        assertThat(k.datagramSizes).containsExactly(7021, 1, 2979, 1);
        assertThat(out.get(3).errno()).isEqualTo(17);
        assertThat(out.get(7000).ok()).isFalse();
        assertThat(out.stream().filter(NetlinkChannel.Outcome::ok).count()).isEqualTo(9998);
    }

    @Test
    void aSingleCallThrowsTheKernelsErrorNamingTheRequest() {
        FakeKernel k = new FakeKernel();
        k.fails = i -> true;
        assertThatThrownBy(() -> new NetlinkChannel(k).call(NlBuilder.request(0x22, Netlink.NLM_F_ACK).genl(1, 1),
                "IPVS NEW_SERVICE tcp 10.0.0.1:80"))
                .isInstanceOf(NetlinkException.class)
                .hasMessageStartingWith("sendmsg(netlink IPVS NEW_SERVICE tcp 10.0.0.1:80): EEXIST");
    }

    @Test
    void noAnswerIsATimeoutNotAHang() {
        NetlinkTransport silent = new FakeKernel() {
            @Override
            public void send(byte[] datagram) {
            }
        };
        assertThatThrownBy(() -> new NetlinkChannel(silent).call(BARRIER, "IPVS GET_INFO"))
                .hasMessageContaining("recvmsg(netlink IPVS GET_INFO)").hasMessageContaining("no answer from the kernel");
    }

    @Test
    void dumpsCollectEveryPartUntilDone() throws Exception {
        FakeKernel k = new FakeKernel() {
            @Override
            public void send(byte[] datagram) {
                int seq = NlMessage.parseAll(datagram, datagram.length).get(0).seq();
                for (int part = 0; part < 3; part++) {
                    queue.add(NlBuilder.request(0x22, Netlink.NLM_F_MULTI).genl(4, 1).u32(1, part).build(seq, 0));
                }
                ByteBuffer done = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
                done.putInt(20).putShort((short) Netlink.NLMSG_DONE).putShort((short) Netlink.NLM_F_MULTI).putInt(seq)
                        .putInt(0).putInt(0);
                queue.add(done.array());
            }
        };
        List<NlMessage> parts = new NetlinkChannel(k).dump(NlBuilder.request(0x22, Netlink.NLM_F_DUMP).genl(4, 1), "dump");
        assertThat(parts).extracting(m -> m.genlAttrs().u32(1, -1)).containsExactly(0L, 1L, 2L);
    }
}
