/** Control of the kernel's IPVS connection-sync daemons and a decoder for their wire protocol. */
package io.lvsd.sync;
