/**
 * VRRP (RFC 3768, RFC 5798, RFC 9568): the configuration records this module takes. The codec,
 * the state machine and the runtime live in {@code internal}.
 */
package io.lvsd.vrrp;
