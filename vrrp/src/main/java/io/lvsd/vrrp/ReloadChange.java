package io.lvsd.vrrp;

/**
 * One thing a reload changed in the running VRRP module, for the log, {@code /status} and
 * {@code lvsd_config_reload_actions_total}.
 *
 * @param subject  the instance, track script or sync groups it is about
 * @param action   a bounded name: start, stop, restart, priority, addresses, advert-interval, password, settings,
 *                 tracking, track-script-added, track-script-removed, track-script-changed, sync-groups
 * @param describe one line saying what changed and what it does
 */
public record ReloadChange(String subject, String action, String describe) {
}
