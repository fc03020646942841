import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Video (vPDQ): the facts read from a video's header and decode (duration, frame size, codec, container, frame rate,
 * frames hashed, the sampling rate), its redacted contact sheet, and the time of each frame hash. Frame hashes are
 * signal entries of signal `vpdq` (one row per sampled frame, `frame_ms` its timestamp) and live in the PDQ index
 * beside image hashes, so an image query finds a video frame and a video frame finds an image.
 */
export const video: MigrationStep = {
  name: '0010-video',
  async up(db: Kysely<unknown>, t) {
    await db.schema.alterTable('signal_entries').addColumn('frame_ms', t.bigint).execute();
    await db.schema
      .createTable('video_facts')
      .addColumn('media_id', t.id, (c) => c.primaryKey().references('media_items.id'))
      .addColumn('duration_ms', t.bigint)
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('fps', 'real')
      .addColumn('codec', 'text', (c) => c.notNull())
      .addColumn('container', 'text', (c) => c.notNull())
      .addColumn('has_audio', 'integer', (c) => c.notNull())
      .addColumn('rotation', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('sample_fps', 'real', (c) => c.notNull())
      .addColumn('frames_hashed', 'integer', (c) => c.notNull())
      .addColumn('decoded_ms', t.bigint, (c) => c.notNull())
      .addColumn('contact_sheet_sha256', 'text')
      .addColumn('contact_sheet_times', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
  },
};
