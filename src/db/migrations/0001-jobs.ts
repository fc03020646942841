import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/** The durable job queue (jobs/job-queue.ts). */
export const jobs: MigrationStep = {
  name: '0001-jobs',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('jobs')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('run_at', t.time, (c) => c.notNull())
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', t.time)
      .addColumn('last_error', 'text')
      .addColumn('result', 'text')
      .addColumn('dedupe_key', 'text', (c) => c.unique())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addColumn('finished_at', t.time)
      .execute();
    await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at', 'priority']).execute();
    await db.schema.createIndex('jobs_kind_status').on('jobs').columns(['kind', 'status']).execute();
  },
};
