import { sql, type Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/** The genesis link of the audit chain: the "previous hash" of entry 1. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * Who may see what (auth/) and the hash-chained audit trail (audit/): countries, agencies, users, recovery codes,
 * sessions, API tokens, per-account login throttling, audit entries and the chain head.
 */
export const authAudit: MigrationStep = {
  name: '0002-auth-audit',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('countries')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('agencies')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('country_code', 'text', (c) => c.notNull().references('countries.code'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addUniqueConstraint('agencies_country_name', ['country_code', 'name'])
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('country_code', 'text', (c) => c.notNull().references('countries.code'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('must_change_password', 'integer', (c) => c.notNull())
      .addColumn('totp_secret', 'text')
      .addColumn('totp_confirmed', 'integer', (c) => c.notNull())
      .addColumn('totp_last_step', t.bigint)
      .addColumn('certified_until', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('users_country_agency').on('users').columns(['country_code', 'agency_id']).execute();

    await db.schema
      .createTable('recovery_codes')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('used_at', t.time)
      .execute();
    await db.schema.createIndex('recovery_codes_user').on('recovery_codes').columns(['user_id', 'code_hash']).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('last_seen_at', t.time, (c) => c.notNull())
      .addColumn('expires_at', t.time, (c) => c.notNull())
      .addColumn('address', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('expires_at', t.time, (c) => c.notNull())
      .addColumn('revoked_at', t.time)
      .addColumn('last_used_at', t.time)
      .execute();
    await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

    await db.schema
      .createTable('login_throttle')
      .addColumn('account', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('first_failure_at', t.time, (c) => c.notNull())
      .addColumn('locked_until', t.time)
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('seq', t.bigint, (c) => c.primaryKey())
      .addColumn('at', t.time, (c) => c.notNull())
      .addColumn('actor_id', t.bigint)
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('actor_country', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text')
      .addColumn('object_id', 'text')
      .addColumn('object_country', 'text')
      .addColumn('address', 'text')
      .addColumn('request_id', 'text')
      .addColumn('details', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_id', 'seq']).execute();
    await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'seq']).execute();
    await db.schema.createIndex('audit_log_object').on('audit_log').columns(['object_type', 'object_id', 'seq']).execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

    // One row: the sequence number and hash of the newest entry. Appending updates it first, which serialises
    // appenders (a row lock on PostgreSQL, the write lock on SQLite) so the chain never forks.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', t.bigint, (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into audit_head (id, seq, hash) values (1, 0, ${AUDIT_GENESIS_HASH})`.execute(db);
  },
};
