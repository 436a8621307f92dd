/** Gratuitous ARP and unsolicited neighbour advertisements for addresses a new master takes over. */
package io.lvsd.arp;
