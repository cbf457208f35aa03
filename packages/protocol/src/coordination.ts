/**
 * Seeding coordination as the tracker and the player both count it (`GET /coordination`): after
 * the `seeders` ranks come BACKUPS ranks that fetch a new segment at staggered deadlines when the
 * mesh has not brought it. A backup that had to fetch says so (`missed`), which is how the tracker
 * notices a seeder that does not seed; only a backup may say it, so the tracker needs the count.
 */
export const BACKUPS = 2;

/** The query parameter a backup reports its origin fetches of the slot with (a positive integer). */
export const MISSED_PARAMETER = 'missed';
