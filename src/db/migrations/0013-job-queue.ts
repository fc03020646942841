import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * The job queue's claim order as an index: a worker takes the first queued job by priority (highest first), then
 * due time, then id. Without it every claim sorted all queued jobs (about 1 ms per thousand), so a seizure of many
 * files queued faster than it was processed slowed down as it grew. Also serves the expired-lease probe
 * (status 'running').
 */
export const jobQueue: MigrationStep = {
  name: '0013-job-queue',
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('jobs_queue').on('jobs').columns(['status', 'priority desc', 'run_at', 'id']).execute();
  },
};
