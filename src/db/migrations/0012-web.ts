import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * The web application's per-user viewing protection (DESIGN.md section 7): how strongly redacted thumbnails are
 * blurred and whether they stay grey, whether videos start muted, and the interface language. Stored server-side so
 * the setting follows the investigator to any workstation. One row per user; no row means the protective defaults.
 */
export const web: MigrationStep = {
  name: '0012-web',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('viewing_preferences')
      .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id'))
      .addColumn('blur', 'integer', (c) => c.notNull())
      .addColumn('grayscale', 'integer', (c) => c.notNull())
      .addColumn('mute_videos', 'integer', (c) => c.notNull())
      .addColumn('locale', 'text')
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
  },
};
