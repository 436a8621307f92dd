package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
    static ServiceKey svc(String addr, int port) {
        return new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse(addr), port));
    }

    static Destination dest(String addr, int weight) {
        return Destination.of(new InetSocketAddress(IpAddresses.parse(addr), 80), Forwarding.NAT, weight);
    }

    static Set<ServiceKey> owned(List<Reconciler.DesiredService> d) {
        Set<ServiceKey> s = new HashSet<>();
        d.forEach(x -> s.add(x.service().key()));
        return s;
    }

    @Test
    void anEmptyKernelGetsEveryServiceAndDestinationThenConverges() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        List<Reconciler.DesiredService> want = List.of(new Reconciler.DesiredService(VirtualService.of(svc("10.0.0.1", 80), "wlc"),
                List.of(dest("10.1.0.1", 1), dest("10.1.0.2", 2))));
        Reconciler.Report r = Reconciler.reconcile(k, want, owned(want));
        assertThat(r.plan().ops()).extracting(IpvsOp::kind).containsExactly("new_service", "new_dest", "new_dest");
        assertThat(r.result().allApplied()).isTrue();
        assertThat(Reconciler.reconcile(k, want, owned(want)).plan().ops()).isEmpty();
    }

    @Test
    void changesAreEditsNotDeleteAndAdd() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        ServiceKey key = svc("10.0.0.1", 80);
        List<Reconciler.DesiredService> v1 = List.of(new Reconciler.DesiredService(VirtualService.of(key, "wlc"),
                List.of(dest("10.1.0.1", 1))));
        Reconciler.reconcile(k, v1, owned(v1));
        List<Reconciler.DesiredService> v2 = List.of(new Reconciler.DesiredService(
                VirtualService.of(key, "rr").withPersistence(60, 0xFFFFFFFFL), List.of(dest("10.1.0.1", 5))));
        Reconciler.Plan p = Reconciler.reconcile(k, v2, owned(v2)).plan();
        assertThat(p.ops()).extracting(IpvsOp::kind).containsExactly("set_service", "set_dest");
        assertThat(k.dump().get(0).service().scheduler()).isEqualTo("rr");
        assertThat(k.dump().get(0).destinations().get(0).destination().weight()).isEqualTo(5);
    }

    @Test
    void aSchedulerSwitchIsAppliedInsideTheBracketAndOtherEditsAreNot() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        ServiceKey web = svc("10.0.0.1", 80);
        ServiceKey mail = svc("10.0.0.1", 25);
        List<Reconciler.DesiredService> v1 = List.of(
                new Reconciler.DesiredService(VirtualService.of(web, "wlc"), List.of(dest("10.1.0.1", 1))),
                new Reconciler.DesiredService(VirtualService.of(mail, "rr"), List.of(dest("10.1.0.2", 1))));
        Reconciler.reconcile(k, v1, owned(v1));
        List<List<Reconciler.SchedulerSwitch>> bracketed = new ArrayList<>();
        List<String> tableInsideTheBracket = new ArrayList<>();
        Reconciler.Bracket bracket = (switching, apply) -> {
            bracketed.add(switching);
            ApplyResult r = apply.call();
            tableInsideTheBracket.add(k.dump().get(0).service().scheduler() + "," + k.dump().get(1).service().scheduler());
            return r;
        };
        // A weight and a persistence change: edits, but no scheduler switch, so no bracket.
        List<Reconciler.DesiredService> v2 = List.of(
                new Reconciler.DesiredService(VirtualService.of(web, "wlc").withPersistence(60, 0xFFFFFFFFL),
                        List.of(dest("10.1.0.1", 4))),
                new Reconciler.DesiredService(VirtualService.of(mail, "rr"), List.of(dest("10.1.0.2", 1))));
        Reconciler.Plan p2 = Reconciler.reconcile(k, v2, owned(v2), bracket).plan();
        assertThat(p2.ops()).extracting(IpvsOp::kind).containsExactly("set_service", "set_dest");
        assertThat(p2.switching()).isEmpty();
        assertThat(bracketed).isEmpty();
        // The scheduler of one service changes: the whole apply runs once, inside the bracket.
        List<Reconciler.DesiredService> v3 = List.of(v2.get(0),
                new Reconciler.DesiredService(VirtualService.of(mail, "sh"), List.of(dest("10.1.0.2", 1))));
        Reconciler.Report r3 = Reconciler.reconcile(k, v3, owned(v3), bracket);
        assertThat(r3.plan().switching()).containsExactly(new Reconciler.SchedulerSwitch(mail, "rr", "sh"));
        assertThat(r3.plan().switching().get(0).describe()).isEqualTo("tcp 10.0.0.1:25 (rr -> sh)");
        assertThat(bracketed).containsExactly(r3.plan().switching());
        assertThat(r3.result().appliedCount()).isEqualTo(1);
        assertThat(String.join(";", tableInsideTheBracket)).contains("sh");
    }

    @Test
    void foreignServicesAreLeftAloneAndReported() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        k.apply(List.of(new IpvsOp.AddService(VirtualService.of(svc("192.0.2.9", 22), "rr"))));
        List<Reconciler.DesiredService> want = List.of(new Reconciler.DesiredService(VirtualService.of(svc("10.0.0.1", 80), "wlc"),
                List.of()));
        Reconciler.Plan p = Reconciler.reconcile(k, want, owned(want)).plan();
        assertThat(p.foreign()).containsExactly(svc("192.0.2.9", 22));
        assertThat(p.ops()).extracting(IpvsOp::kind).containsExactly("new_service");
        assertThat(k.dump()).hasSize(2);
    }

    @Test
    void aServiceNoLongerWantedButOwnedIsDeletedWithItsDrift() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        ServiceKey old = svc("10.0.0.2", 80);
        k.apply(List.of(new IpvsOp.AddService(VirtualService.of(old, "rr")), new IpvsOp.AddDest(old, dest("10.1.0.9", 1))));
        ServiceKey keep = svc("10.0.0.1", 80);
        k.apply(List.of(new IpvsOp.AddService(VirtualService.of(keep, "wlc")), new IpvsOp.AddDest(keep, dest("10.1.0.7", 1))));
        List<Reconciler.DesiredService> want = List.of(new Reconciler.DesiredService(VirtualService.of(keep, "wlc"),
                List.of(dest("10.1.0.1", 1))));
        Set<ServiceKey> owned = new HashSet<>(owned(want));
        owned.add(old);
        Reconciler.Plan p = Reconciler.reconcile(k, want, owned).plan();
        assertThat(p.ops()).extracting(IpvsOp::describe).containsExactly(
                "DEL_SERVICE tcp 10.0.0.2:80",
                "DEL_DEST tcp 10.0.0.1:80 -> 10.1.0.7:80",
                "NEW_DEST tcp 10.0.0.1:80 -> 10.1.0.1:80");
    }

    @Test
    void oneWeightChangeInTenThousandDestinationsIsOneOperation() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        List<Reconciler.DesiredService> want = new ArrayList<>();
        for (int s = 0; s < 100; s++) {
            List<Destination> ds = new ArrayList<>();
            for (int d = 0; d < 100; d++) {
                ds.add(Destination.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 2, (byte) s, (byte) d}), 80),
                        Forwarding.NAT, 1));
            }
            want.add(new Reconciler.DesiredService(VirtualService.of(svc("10.0.0." + s, 80), "wlc"), ds));
        }
        assertThat(Reconciler.reconcile(k, want, owned(want)).result().appliedCount()).isEqualTo(10_100);
        long before = k.operations();
        List<Destination> changed = new ArrayList<>(want.get(42).destinations());
        changed.set(17, changed.get(17).withWeight(9));
        want.set(42, new Reconciler.DesiredService(want.get(42).service(), changed));
        Reconciler.Report r = Reconciler.reconcile(k, want, owned(want));
        assertThat(r.plan().ops()).singleElement().satisfies(op ->
                assertThat(op.describe()).isEqualTo("SET_DEST tcp 10.0.0.42:80 -> 10.2.42.17:80"));
        assertThat(k.operations() - before).isEqualTo(1);
    }

    // ---- mh: the same destination list, and so the same lookup table, whatever the history

    private static Reconciler.DesiredService mh(List<Destination> dests, java.util.Map<InetSocketAddress, Integer> add) {
        return new Reconciler.DesiredService(VirtualService.of(svc("10.0.0.1", 80), "mh"), dests, add);
    }

    private static List<String> order(InMemoryIpvsClient k) throws Exception {
        return k.dump().get(0).destinations().stream()
                .map(d -> d.destination().address().getAddress().getHostAddress() + "/" + d.destination().weight())
                .toList();
    }

    private static List<String> apply(InMemoryIpvsClient k, Reconciler.DesiredService d) throws Exception {
        Reconciler.Report r = Reconciler.reconcile(k, List.of(d), owned(List.of(d)));
        assertThat(r.result().allApplied()).isTrue();
        return r.plan().ops().stream().map(o -> o.kind() + (o instanceof IpvsOp.AddDest a ? " "
                + a.destination().address().getAddress().getHostAddress() + "/" + a.destination().weight()
                : o instanceof IpvsOp.DeleteDest x ? " " + x.address().getAddress().getHostAddress()
                : o instanceof IpvsOp.EditDest e ? " " + e.destination().address().getAddress().getHostAddress() + "/"
                + e.destination().weight() : "")).toList();
    }

    @Test
    void anMhServiceListsItsDestinationsInTheReverseOfTheConfigurationWhateverTheHistory() throws Exception {
        List<Destination> abc = List.of(dest("10.1.0.1", 1), dest("10.1.0.2", 1), dest("10.1.0.3", 1));
        // A director that started with all three.
        InMemoryIpvsClient fresh = new InMemoryIpvsClient();
        apply(fresh, mh(abc, java.util.Map.of()));
        assertThat(order(fresh)).containsExactly("10.1.0.3/1", "10.1.0.2/1", "10.1.0.1/1");
        // A director that had 1 and 3, and got 2 (configured between them) later: 2 goes to the head by itself,
        // so 3 moves to the front once, and the list is the same.
        InMemoryIpvsClient grew = new InMemoryIpvsClient();
        apply(grew, mh(List.of(abc.get(0), abc.get(2)), java.util.Map.of()));
        assertThat(apply(grew, mh(abc, java.util.Map.of()))).containsExactly("new_dest 10.1.0.2/1", "del_dest 10.1.0.3",
                "new_dest 10.1.0.3/1");
        assertThat(order(grew)).isEqualTo(order(fresh));
        assertThat(apply(grew, mh(abc, java.util.Map.of()))).as("then nothing to do").isEmpty();
        // A server appended to the configuration is one add at the head, everywhere: nothing moves.
        List<Destination> abcd = new ArrayList<>(abc);
        abcd.add(dest("10.1.0.4", 1));
        assertThat(apply(fresh, mh(abcd, java.util.Map.of()))).containsExactly("new_dest 10.1.0.4/1");
        assertThat(apply(grew, mh(abcd, java.util.Map.of()))).containsExactly("new_dest 10.1.0.4/1");
        assertThat(order(grew)).isEqualTo(order(fresh)).startsWith("10.1.0.4/1");
    }

    @Test
    void aQuiescedMhDestinationIsAddedAtItsConfiguredWeightThenSetToZeroAndKeepsThatWeightWhenMoved() throws Exception {
        InetSocketAddress two = new InetSocketAddress(IpAddresses.parse("10.1.0.2"), 80);
        List<Destination> quiesced = List.of(dest("10.1.0.1", 1), dest("10.1.0.2", 0));
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        // A director that starts while 10.1.0.2 is down: at weight 0 the kernel would give it no slot.
        assertThat(apply(k, mh(quiesced, java.util.Map.of(two, 3)))).containsExactly("new_service",
                "new_dest 10.1.0.1/1", "new_dest 10.1.0.2/3", "set_dest 10.1.0.2/0");
        assertThat(order(k)).containsExactly("10.1.0.2/0", "10.1.0.1/1");
        // Reordered configuration: 10.1.0.2 must move to the tail's other side; moved while quiesced, it is added
        // back at its configured weight and quiesced again.
        List<Destination> swapped = List.of(dest("10.1.0.2", 0), dest("10.1.0.1", 1));
        assertThat(apply(k, mh(swapped, java.util.Map.of(two, 3)))).containsExactly("del_dest 10.1.0.1",
                "new_dest 10.1.0.1/1");
        assertThat(order(k)).containsExactly("10.1.0.1/1", "10.1.0.2/0");
    }

    @Test
    void otherSchedulersAreNotReordered() throws Exception {
        InMemoryIpvsClient k = new InMemoryIpvsClient();
        Reconciler.DesiredService v1 = new Reconciler.DesiredService(VirtualService.of(svc("10.0.0.1", 80), "wrr"),
                List.of(dest("10.1.0.1", 1), dest("10.1.0.3", 1)));
        apply(k, v1);
        Reconciler.DesiredService v2 = new Reconciler.DesiredService(VirtualService.of(svc("10.0.0.1", 80), "wrr"),
                List.of(dest("10.1.0.3", 1), dest("10.1.0.2", 1), dest("10.1.0.1", 1)));
        assertThat(apply(k, v2)).containsExactly("new_dest 10.1.0.2/1");
    }
}
