import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Faces and scenes (connect/): what the vision models found in each media item, the change log the in-memory
 * vector indexes follow (like signal_changes for PDQ), which items have been analysed with which model, and the
 * ORB + RANSAC confirmations of scene pairs with their inlier point pairs.
 */
export const connections: MigrationStep = {
  name: '0011-connections',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('vision_entries')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('model', 'text', (c) => c.notNull())
      // Float32 little-endian: 128 values for a face, the scene descriptor's length for a scene.
      .addColumn('descriptor', t.bytes, (c) => c.notNull())
      // Faces: box in the upright original's pixels and the detector's score; null for scenes.
      .addColumn('box_x', 'real')
      .addColumn('box_y', 'real')
      .addColumn('box_w', 'real')
      .addColumn('box_h', 'real')
      .addColumn('score', 'real')
      // A face an investigator linked to a victim record.
      .addColumn('person_id', t.id, (c) => c.references('people.id'))
      .addColumn('linked_by', t.id, (c) => c.references('users.id'))
      .addColumn('linked_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('removed_at', t.time)
      .execute();
    await db.schema.createIndex('vision_entries_media').on('vision_entries').columns(['media_id', 'kind']).execute();
    await db.schema.createIndex('vision_entries_person').on('vision_entries').columns(['person_id']).execute();
    await db.schema.createIndex('vision_entries_scan').on('vision_entries').columns(['kind', 'id']).execute();

    await db.schema
      .createTable('vision_changes')
      .addColumn('seq', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('entry_id', t.id, (c) => c.notNull().references('vision_entries.id'))
      .addColumn('op', 'text', (c) => c.notNull())
      .addColumn('at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('vision_runs')
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('entries', 'integer', (c) => c.notNull())
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('vision_runs_pk', ['media_id', 'kind', 'model'])
      .execute();

    await db.schema
      .createTable('scene_confirmations')
      .addColumn('media_a', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('media_b', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('candidates', 'integer', (c) => c.notNull())
      .addColumn('inliers', 'integer', (c) => c.notNull())
      // Inlier pairs as Float32 little-endian (ax, ay, bx, by), in the upright originals' pixels.
      .addColumn('pairs', t.bytes, (c) => c.notNull())
      .addColumn('width_a', 'integer', (c) => c.notNull())
      .addColumn('height_a', 'integer', (c) => c.notNull())
      .addColumn('width_b', 'integer', (c) => c.notNull())
      .addColumn('height_b', 'integer', (c) => c.notNull())
      .addColumn('at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('scene_confirmations_pk', ['media_a', 'media_b'])
      .execute();
    await db.schema.createIndex('scene_confirmations_b').on('scene_confirmations').columns(['media_b', 'media_a']).execute();
  },
};
