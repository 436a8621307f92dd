package io.lvsd.ipvs;

import io.lvsd.linux.net.IpAddresses;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which ipvsadm lists a table, reproduced exactly so that a save is byte-for-byte
 * the same. ipvsadm compares entries by subtracting fields as 32-bit integers (firewall mark,
 * family, protocol, the address in 32-bit words, port), which wraps: the comparison is not
 * transitive (10.0.0.1 < 100.0.0.1 < 200.0.0.1 < 10.0.0.1). The result therefore depends on
 * the input order, which is the kernel's dump order, and on the sort algorithm, which is the C
 * library's merge sort (a stable top-down merge sort whose first half is the smaller one).
 * Both are reproduced here; observed against ipvsadm 1.31 on Debian 12 in the lab VM.
 */
public final class IpvsadmOrder {
    private IpvsadmOrder() {
    }

    /** Services as ipvsadm compares them. */
    public static final Comparator<ServiceKey> SERVICES = (a, b) -> {
        int r = (int) (a.fwmark() - b.fwmark());
        if (r != 0) {
            return r;
        }
        r = a.family().af() - b.family().af();
        if (r != 0) {
            return r;
        }
        if (a instanceof ServiceKey.Addr x && b instanceof ServiceKey.Addr y) {
            r = x.protocol().number() - y.protocol().number();
            if (r != 0) {
                return r;
            }
            r = compareAddress(x.endpoint().getAddress(), y.endpoint().getAddress());
            if (r != 0) {
                return r;
            }
            return x.endpoint().getPort() - y.endpoint().getPort();
        }
        return 0;
    };

    /** Destinations as ipvsadm compares them: family, address, port. */
    public static final Comparator<Destination> DESTINATIONS = (a, b) -> {
        InetAddress x = a.address().getAddress();
        InetAddress y = b.address().getAddress();
        int r = IpAddresses.family(x).af() - IpAddresses.family(y).af();
        if (r != 0) {
            return r;
        }
        r = compareAddress(x, y);
        return r != 0 ? r : a.address().getPort() - b.address().getPort();
    };

    /** Word by word, each a wrapping 32-bit subtraction of host-order values. */
    static int compareAddress(InetAddress x, InetAddress y) {
        ByteBuffer a = ByteBuffer.wrap(x.getAddress());
        ByteBuffer b = ByteBuffer.wrap(y.getAddress());
        int r = 0;
        while (r == 0 && a.remaining() >= 4 && b.remaining() >= 4) {
            r = a.getInt() - b.getInt();
        }
        return r;
    }

    /** The table in ipvsadm's order, from entries in the kernel's dump order. */
    public static List<ServiceState> sort(List<ServiceState> kernelOrder) {
        List<ServiceState> out = new ArrayList<>();
        for (ServiceState s : mergeSort(kernelOrder, (a, b) -> SERVICES.compare(a.service().key(), b.service().key()))) {
            out.add(new ServiceState(s.service(), s.stats(), mergeSort(s.destinations(),
                    (a, b) -> DESTINATIONS.compare(a.destination(), b.destination()))));
        }
        return out;
    }

    /** Stable top-down merge sort; the first half has n/2 elements. */
    static <T> List<T> mergeSort(List<T> in, Comparator<? super T> cmp) {
        List<T> a = new ArrayList<>(in);
        sort(a, 0, a.size(), cmp, new ArrayList<>(a));
        return a;
    }

    private static <T> void sort(List<T> a, int from, int n, Comparator<? super T> cmp, List<T> tmp) {
        if (n <= 1) {
            return;
        }
        int n1 = n / 2;
        int n2 = n - n1;
        sort(a, from, n1, cmp, tmp);
        sort(a, from + n1, n2, cmp, tmp);
        int i = from;
        int j = from + n1;
        int k = 0;
        while (n1 > 0 && n2 > 0) {
            if (cmp.compare(a.get(i), a.get(j)) <= 0) {
                tmp.set(k++, a.get(i++));
                n1--;
            } else {
                tmp.set(k++, a.get(j++));
                n2--;
            }
        }
        while (n1 > 0) {
            tmp.set(k++, a.get(i++));
            n1--;
        }
        for (int m = 0; m < k; m++) {
            a.set(from + m, tmp.get(m));
        }
    }
}
