/**
 * How often a dated snapshot (branch protection, team membership) is stored, and how far around
 * a window the pack looks for one. The two are tied: a snapshot is stored when it says something
 * new and restated at least every `SNAPSHOT_REFRESH_DAYS` days, so the snapshot in force on any
 * day the collector ran is at most `SNAPSHOT_REFRESH_DAYS - 1` days old; the pack must look back
 * further than that, with room for nights the collector did not run, or a window's first changes
 * would find no snapshot in force and be judged against a later one.
 */

/**
 * An unchanged snapshot is restated once it is this many days old: the pack's look-back then
 * always finds the one in force, and its Object Lock retention, which runs from when it was
 * written, is never more than a week shorter than a fresh object's.
 */
export const SNAPSHOT_REFRESH_DAYS = 7;

/** How far before a window (and after it) the pack reads snapshots. */
export const SNAPSHOT_LOOKBACK_DAYS = 31;

/**
 * Consecutive nights the collector can miss just before a window starts while the pack still
 * finds the snapshot in force at its start: the last night that ran (the night before the missed
 * ones) left a snapshot at most `SNAPSHOT_REFRESH_DAYS - 1` days older than itself, and the
 * look-back reaches `SNAPSHOT_LOOKBACK_DAYS` days before the window.
 */
export const MISSED_NIGHTS_TOLERATED = SNAPSHOT_LOOKBACK_DAYS - SNAPSHOT_REFRESH_DAYS;

/** At least two weeks of missed nights (a holiday, an expired token) must not lose the snapshot in force. */
export const MIN_MISSED_NIGHTS_TOLERATED = 14;

if (MISSED_NIGHTS_TOLERATED < MIN_MISSED_NIGHTS_TOLERATED) {
  throw new Error(
    `the pack's snapshot look-back (${SNAPSHOT_LOOKBACK_DAYS} days) leaves room for only ${MISSED_NIGHTS_TOLERATED} ` +
      `missed nights after the ${SNAPSHOT_REFRESH_DAYS}-day snapshot refresh; at least ${MIN_MISSED_NIGHTS_TOLERATED} are needed`,
  );
}
