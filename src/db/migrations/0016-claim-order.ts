import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Drops `jobs_claim` (status, run_at, priority). With it, SQLite's planner answered a claim ("the first queued job
 * due by now, by priority, due time and id") by a range search on run_at and a sort of every queued job, never
 * walking `jobs_queue` (0013) in claim order: a claim cost about 0.3 ms per thousand queued jobs, so a large seizure,
 * whose files queue faster than they are processed (and whose items each queue a face and scene job), slowed down as
 * it grew. Without it, claims walk `jobs_queue` and stop at the first match. Nothing else filtered on run_at first.
 */
export const claimOrder: MigrationStep = {
  name: '0016-claim-order',
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('jobs_claim').execute();
  },
};
