/** Real-server health checks: the configuration records this module takes. */
package io.lvsd.healthcheck;
