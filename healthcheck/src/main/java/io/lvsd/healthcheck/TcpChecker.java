package io.lvsd.healthcheck;

/** {@code tcp}: up when the connection is accepted; closed at once. */
public final class TcpChecker implements Checker {
    @Override
    public void probe(ProbeContext ctx) {
        ctx.transport().connectTcp(ctx, () -> ctx.up("connected"));
    }
}
