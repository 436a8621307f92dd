package io.lvsd.doctor;

import java.io.IOException;

/**
 * What a director's checks read of the host: kernel parameters, modules, links and the firewall. They never change
 * anything. {@link LinuxDirectorHost} is the machine; tests supply a fake.
 */
public interface DirectorHost {
    /** A kernel parameter by its dotted name, or {@code null} when it does not exist. */
    String sysctl(String name) throws IOException;

    /** The running kernel's release, as {@code uname -r} prints it. */
    String kernelRelease() throws IOException;

    /** Whether kernel module {@code name} is loaded, built in, loadable, or none of these. */
    ModuleState module(String name) throws IOException;

    /** Link {@code name}, or {@code null} when it does not exist. */
    Link link(String name) throws IOException;

    /** The host's packet filter rules, or {@code null} when no tool here can read them. */
    Firewall.Ruleset firewall() throws IOException;

    /** A kernel module's availability. */
    enum ModuleState {
        LOADED, BUILTIN, LOADABLE,
        /** Not loaded, and the kernel's module tree does not have it. */
        MISSING,
        /** Not loaded, and there is no module tree for the running kernel to look in. */
        NO_MODULE_TREE
    }

    /** A network interface: whether it is administratively up and has carrier, and its MTU. */
    record Link(String name, boolean up, boolean lowerUp, int mtu) {
    }
}
