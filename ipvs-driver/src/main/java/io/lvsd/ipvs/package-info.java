/** The IPVS table: model, generic-netlink client and reconciler. */
package io.lvsd.ipvs;
