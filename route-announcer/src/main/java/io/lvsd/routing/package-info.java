/**
 * VIP routes that an existing routing daemon announces, for active-active directors behind a router's ECMP.
 *
 * <p>lvsd never speaks BGP. It owns two kinds of kernel routes, marked with its own route protocol number:
 * <ul>
 *   <li>{@link io.lvsd.routing.VipRoutes.Kind#ACCEPT}: a {@code local} route per VIP in the local table, so that the
 *       kernel takes the VIP's packets in and IPVS sees them, whether announced or not (a withdrawn director goes on
 *       forwarding what still reaches it);</li>
 *   <li>{@link io.lvsd.routing.VipRoutes.Kind#ANNOUNCE}: a {@code blackhole} route per announced VIP in a table of its
 *       own that no rule looks up. The routing daemon learns that table (BIRD: a kernel protocol with {@code learn}; FRR:
 *       {@code ip import-table}) and announces what is there.</li>
 * </ul>
 * {@link io.lvsd.routing.Announcements} decides, as a pure function, which VIPs to announce and why;
 * {@link io.lvsd.routing.RoutePlan} turns that into the fewest route operations; {@link io.lvsd.routing.RoutingDaemon}
 * reads the daemon's session states for {@code /status} and metrics.
 */
package io.lvsd.routing;
