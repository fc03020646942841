import { sql, type Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Green and Yellow Notices (notices/), joint operations (operations/) and what statistics need (statistics/):
 * - notices with their lifecycle (draft -> requested -> published -> cancellation_requested -> cancelled), the
 *   content as validated JSON (`body`), every published version, the review history, links to people, series and
 *   investigations, photos (submission files hashed by the ingest pipeline) and reported face/scene connections;
 * - operations with participating countries (a contact each), shared investigations and notices, targets, a
 *   timeline, tasks and a message board;
 * - `people.identified_at` / `safeguarded_at`, so victims identified and safeguarded can be counted per month
 *   (existing rows take their last change time).
 */
export const notices: MigrationStep = {
  name: '0009-notices',
  async up(db: Kysely<unknown>, t) {
    const id = (name: string) => db.schema.createTable(name).addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement));

    await id('notices')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('contact_agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('subject_name', 'text', (c) => c.notNull())
      .addColumn('subject_status', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('submission_id', t.id, (c) => c.references('submissions.id'))
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('requested_by', t.id, (c) => c.references('users.id'))
      .addColumn('requested_at', t.time)
      .addColumn('reviewed_by', t.id, (c) => c.references('users.id'))
      .addColumn('published_at', t.time)
      .addColumn('return_reasons', 'text')
      .addColumn('cancel_reason', 'text')
      .addColumn('cancel_requested_by', t.id, (c) => c.references('users.id'))
      .addColumn('cancelled_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notices_reference').on('notices').column('reference').unique().execute();
    await db.schema.createIndex('notices_status').on('notices').columns(['status', 'id']).execute();
    await db.schema.createIndex('notices_country').on('notices').columns(['country_code', 'id']).execute();
    await db.schema.createIndex('notices_published').on('notices').columns(['published_at']).execute();

    await id('notice_versions')
      .addColumn('notice_id', t.id, (c) => c.notNull().references('notices.id'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('subject_status', 'text')
      .addColumn('changed_by', t.id, (c) => c.references('users.id'))
      .addColumn('changed_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notice_versions_notice').on('notice_versions').columns(['notice_id', 'version']).unique().execute();

    await id('notice_events')
      .addColumn('notice_id', t.id, (c) => c.notNull().references('notices.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor_id', t.id, (c) => c.references('users.id'))
      .addColumn('actor_country', 'text')
      .addColumn('reasons', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notice_events_notice').on('notice_events').columns(['notice_id', 'id']).execute();

    await db.schema
      .createTable('notice_links')
      .addColumn('notice_id', t.id, (c) => c.notNull().references('notices.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target_id', t.id, (c) => c.notNull())
      .addColumn('added_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('added_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('notice_links_pk', ['notice_id', 'kind', 'target_id'])
      .execute();
    await db.schema.createIndex('notice_links_target').on('notice_links').columns(['kind', 'target_id']).execute();

    await id('notice_photos')
      .addColumn('notice_id', t.id, (c) => c.notNull().references('notices.id'))
      .addColumn('file_id', t.id, (c) => c.notNull().references('submission_files.id'))
      .addColumn('caption', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('added_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('added_at', t.time, (c) => c.notNull())
      .addColumn('removed_at', t.time)
      .execute();
    await db.schema.createIndex('notice_photos_notice').on('notice_photos').columns(['notice_id', 'id']).execute();
    await db.schema.createIndex('notice_photos_file').on('notice_photos').columns(['file_id']).execute();

    await id('notice_connections')
      .addColumn('notice_id', t.id, (c) => c.notNull().references('notices.id'))
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('victim_id', t.id, (c) => c.notNull().references('people.id'))
      .addColumn('matched_media_id', t.id, (c) => c.references('media_items.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('score', 'real', (c) => c.notNull())
      .addColumn('reported_by', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notice_connections_unique').on('notice_connections').columns(['notice_id', 'media_id', 'victim_id', 'kind']).unique().execute();

    await id('operations')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('coordinator_country', 'text', (c) => c.notNull())
      .addColumn('coordinator_agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('operation_participants')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('contact_user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('added_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('operation_participants_pk', ['operation_id', 'country_code'])
      .execute();
    await db.schema.createIndex('operation_participants_country').on('operation_participants').columns(['country_code', 'operation_id']).execute();

    await id('operation_items')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target_id', t.id, (c) => c.notNull())
      .addColumn('shared_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('shared_country', 'text', (c) => c.notNull())
      .addColumn('shared_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_items_unique').on('operation_items').columns(['operation_id', 'kind', 'target_id']).unique().execute();
    await db.schema.createIndex('operation_items_target').on('operation_items').columns(['kind', 'target_id']).execute();

    await id('operation_targets')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('country_code', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_targets_op').on('operation_targets').columns(['operation_id', 'id']).execute();

    await id('operation_actions')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('happened_at', t.time, (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_actions_op').on('operation_actions').columns(['operation_id', 'happened_at', 'id']).execute();

    await id('operation_tasks')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('owner_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('due_at', t.time)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_tasks_op').on('operation_tasks').columns(['operation_id', 'id']).execute();

    await id('operation_messages')
      .addColumn('operation_id', t.id, (c) => c.notNull().references('operations.id'))
      .addColumn('author_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_messages_op').on('operation_messages').columns(['operation_id', 'id']).execute();

    await db.schema.alterTable('people').addColumn('identified_at', t.time).execute();
    await db.schema.alterTable('people').addColumn('safeguarded_at', t.time).execute();
    await sql`update people set identified_at = updated_at where status in ('identified', 'safeguarded')`.execute(db);
    await sql`update people set safeguarded_at = updated_at where status = 'safeguarded'`.execute(db);

    // Statistics: month buckets per country over these columns.
    await db.schema.createIndex('submissions_country_created').on('submissions').columns(['country_code', 'created_at']).execute();
    await db.schema.createIndex('submission_files_created').on('submission_files').columns(['created_at']).execute();
    await db.schema.createIndex('series_sightings_at').on('series_sightings').columns(['at']).execute();
  },
};
