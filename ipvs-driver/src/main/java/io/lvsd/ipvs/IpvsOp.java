package io.lvsd.ipvs;

import java.net.InetSocketAddress;

/** One change to the IPVS table; a batch of them goes to {@link IpvsClient#apply}. */
public sealed interface IpvsOp {
    /** The operation in the kernel's terms, for logs and errors: {@code NEW_DEST tcp 10.0.0.1:80 -> 10.1.0.1:80}. */
    String describe();

    /** The metric label: new_service, set_service, del_service, new_dest, set_dest, del_dest. */
    String kind();

    ServiceKey key();

    record AddService(VirtualService service) implements IpvsOp {
        public String describe() {
            return "NEW_SERVICE " + service.key().describe();
        }

        public String kind() {
            return "new_service";
        }

        public ServiceKey key() {
            return service.key();
        }
    }

    record EditService(VirtualService service) implements IpvsOp {
        public String describe() {
            return "SET_SERVICE " + service.key().describe();
        }

        public String kind() {
            return "set_service";
        }

        public ServiceKey key() {
            return service.key();
        }
    }

    record DeleteService(ServiceKey key) implements IpvsOp {
        public String describe() {
            return "DEL_SERVICE " + key.describe();
        }

        public String kind() {
            return "del_service";
        }
    }

    record AddDest(ServiceKey key, Destination destination) implements IpvsOp {
        public String describe() {
            return "NEW_DEST " + key.describe() + " -> " + destination.describe();
        }

        public String kind() {
            return "new_dest";
        }
    }

    record EditDest(ServiceKey key, Destination destination) implements IpvsOp {
        public String describe() {
            return "SET_DEST " + key.describe() + " -> " + destination.describe();
        }

        public String kind() {
            return "set_dest";
        }
    }

    record DeleteDest(ServiceKey key, InetSocketAddress address) implements IpvsOp {
        public String describe() {
            return "DEL_DEST " + key.describe() + " -> " + io.lvsd.linux.net.IpAddresses.format(address);
        }

        public String kind() {
            return "del_dest";
        }
    }
}
