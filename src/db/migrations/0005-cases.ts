import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Investigations online (cases/, notifications/): investigations with members, sharing and linked objects; series of
 * media; victims and offenders; categorisation votes and settled categories; threaded comments with their
 * revisions and mentions; consultations; in-app notifications. Indexes serve the visibility checks, the per-item
 * lookups of matching (series, category) and search with keyset pagination.
 */
export const cases: MigrationStep = {
  name: '0005-cases',
  async up(db: Kysely<unknown>, t) {
    const id = (name: string) => db.schema.createTable(name).addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement));

    await id('investigations')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('investigations_agency').on('investigations').columns(['agency_id', 'id']).execute();

    await db.schema
      .createTable('investigation_members')
      .addColumn('investigation_id', t.id, (c) => c.notNull().references('investigations.id'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('added_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('investigation_members_pk', ['investigation_id', 'user_id'])
      .execute();
    await db.schema.createIndex('investigation_members_user').on('investigation_members').columns(['user_id', 'investigation_id']).execute();

    await id('investigation_shares')
      .addColumn('investigation_id', t.id, (c) => c.notNull().references('investigations.id'))
      .addColumn('agency_id', t.id, (c) => c.references('agencies.id'))
      .addColumn('country_code', 'text')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('investigation_shares_inv').on('investigation_shares').columns(['investigation_id']).execute();
    await db.schema.createIndex('investigation_shares_agency').on('investigation_shares').columns(['agency_id', 'investigation_id']).execute();
    await db.schema.createIndex('investigation_shares_country').on('investigation_shares').columns(['country_code', 'investigation_id']).execute();

    // Linked objects: submissions, media items, series, people (by id), and free-text locations and tags.
    await id('investigation_links')
      .addColumn('investigation_id', t.id, (c) => c.notNull().references('investigations.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target_id', t.id)
      .addColumn('label', 'text')
      .addColumn('lat', 'real')
      .addColumn('lon', 'real')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('investigation_links_inv').on('investigation_links').columns(['investigation_id', 'kind']).execute();
    await db.schema.createIndex('investigation_links_target').on('investigation_links').columns(['kind', 'target_id']).execute();
    await db.schema.createIndex('investigation_links_label').on('investigation_links').columns(['kind', 'label']).execute();

    await id('series')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('identification_status', 'text', (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('series_status').on('series').columns(['identification_status', 'id']).execute();

    await db.schema
      .createTable('series_media')
      .addColumn('series_id', t.id, (c) => c.notNull().references('series.id'))
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('added_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('added_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('series_media_pk', ['series_id', 'media_id'])
      .execute();
    await db.schema.createIndex('series_media_media').on('series_media').columns(['media_id', 'series_id']).execute();

    // Where a series' material was seen: a submission holding one of its items or a match of one (series-match job).
    await db.schema
      .createTable('series_sightings')
      .addColumn('series_id', t.id, (c) => c.notNull().references('series.id'))
      .addColumn('submission_id', t.id, (c) => c.notNull().references('submissions.id'))
      .addColumn('country_code', 'text')
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('series_sightings_pk', ['series_id', 'submission_id'])
      .execute();

    await id('people')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('country_code', 'text', (c) => c.notNull())
      .addColumn('age_min', 'integer')
      .addColumn('age_max', 'integer')
      .addColumn('sex', 'text', (c) => c.notNull())
      .addColumn('descriptors', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('identified', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('notice_kind', 'text')
      .addColumn('notice_ref', 'text')
      .addColumn('created_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('person_links')
      .addColumn('person_id', t.id, (c) => c.notNull().references('people.id'))
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', t.id, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('person_links_pk', ['person_id', 'target_type', 'target_id'])
      .execute();
    await db.schema.createIndex('person_links_target').on('person_links').columns(['target_type', 'target_id']).execute();

    // Every vote is kept (a changed vote supersedes the voter's previous one); the settled category is derived.
    await id('category_votes')
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('category', 'integer', (c) => c.notNull())
      .addColumn('baseline', 'integer', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('superseded_at', t.time)
      .execute();
    await db.schema.createIndex('category_votes_media').on('category_votes').columns(['media_id', 'superseded_at']).execute();

    await db.schema
      .createTable('media_categories')
      .addColumn('media_id', t.id, (c) => c.primaryKey().references('media_items.id'))
      .addColumn('category', 'integer')
      .addColumn('baseline', 'integer')
      .addColumn('settled_at', t.time)
      .addColumn('votes', 'integer', (c) => c.notNull())
      .addColumn('disputed', 'integer', (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('media_categories_category').on('media_categories').columns(['category', 'media_id']).execute();
    await db.schema.createIndex('media_categories_disputed').on('media_categories').columns(['disputed', 'media_id']).execute();

    await id('comments')
      .addColumn('investigation_id', t.id, (c) => c.notNull().references('investigations.id'))
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', t.id, (c) => c.notNull())
      .addColumn('parent_id', t.id, (c) => c.references('comments.id'))
      .addColumn('author_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addColumn('deleted_at', t.time)
      .execute();
    await db.schema.createIndex('comments_target').on('comments').columns(['investigation_id', 'target_type', 'target_id', 'id']).execute();

    await id('comment_revisions')
      .addColumn('comment_id', t.id, (c) => c.notNull().references('comments.id'))
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('replaced_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('comment_revisions_comment').on('comment_revisions').columns(['comment_id', 'id']).execute();

    await db.schema
      .createTable('comment_mentions')
      .addColumn('comment_id', t.id, (c) => c.notNull().references('comments.id'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addPrimaryKeyConstraint('comment_mentions_pk', ['comment_id', 'user_id'])
      .execute();

    await id('consultations')
      .addColumn('investigation_id', t.id, (c) => c.references('investigations.id'))
      .addColumn('media_id', t.id, (c) => c.references('media_items.id'))
      .addColumn('asked_by', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('asker_agency_id', t.id, (c) => c.notNull())
      .addColumn('asker_country', 'text', (c) => c.notNull())
      .addColumn('to_user_id', t.id, (c) => c.references('users.id'))
      .addColumn('to_agency_id', t.id, (c) => c.references('agencies.id'))
      .addColumn('to_country', 'text')
      .addColumn('question', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('answer', 'text')
      .addColumn('answered_by', t.id, (c) => c.references('users.id'))
      .addColumn('answered_at', t.time)
      .addColumn('closed_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('consultations_inv').on('consultations').columns(['investigation_id', 'status']).execute();
    await db.schema.createIndex('consultations_to_user').on('consultations').columns(['to_user_id']).execute();
    await db.schema.createIndex('consultations_to_agency').on('consultations').columns(['to_agency_id']).execute();
    await db.schema.createIndex('consultations_to_country').on('consultations').columns(['to_country']).execute();
    await db.schema.createIndex('consultations_asker').on('consultations').columns(['asked_by']).execute();

    await id('notifications')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text')
      .addColumn('object_id', 'text')
      .addColumn('details', 'text')
      .addColumn('dedupe_key', 'text')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('read_at', t.time)
      .execute();
    await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'id']).execute();
    await db.schema.createIndex('notifications_dedupe').on('notifications').columns(['user_id', 'dedupe_key']).unique().execute();

    // Connections and search over media items.
    await db.schema.createIndex('media_items_camera_model').on('media_items').columns(['camera_make', 'camera_model', 'taken_at']).execute();
    await db.schema.createIndex('media_items_gps').on('media_items').columns(['gps_lat', 'gps_lon']).execute();
    await db.schema.createIndex('media_items_country').on('media_items').columns(['first_country', 'id']).execute();
    await db.schema.createIndex('media_items_first_seen').on('media_items').columns(['first_seen_at', 'id']).execute();
  },
};
