import type { Selectable } from 'kysely';
import type { Executor, UsersTable } from '../db/schema.js';
import type { Role } from './roles.js';

/** A user as the rest of the system sees it (no credentials). */
export interface UserView {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly status: 'active' | 'suspended';
  readonly countryCode: string;
  readonly agencyId: number;
  readonly agencyName: string;
  readonly certifiedUntil: number | null;
  readonly mustChangePassword: boolean;
  readonly totpConfirmed: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AgencyView {
  readonly id: number;
  readonly countryCode: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface CountryView {
  readonly code: string;
  readonly name: string;
  readonly createdAt: number;
}

export type UserRow = Selectable<UsersTable>;

/** Queries over countries, agencies and users. No access checks: services call these after checking. */
export const directory = {
  async country(db: Executor, code: string): Promise<CountryView | undefined> {
    const row = await db.selectFrom('countries').selectAll().where('code', '=', code).executeTakeFirst();
    return row && { code: row.code, name: row.name, createdAt: Number(row.created_at) };
  },

  async countries(db: Executor): Promise<CountryView[]> {
    const rows = await db.selectFrom('countries').selectAll().orderBy('code').execute();
    return rows.map((row) => ({ code: row.code, name: row.name, createdAt: Number(row.created_at) }));
  },

  async agency(db: Executor, id: number): Promise<AgencyView | undefined> {
    const row = await db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirst();
    return row && agencyView(row);
  },

  async agencyByName(db: Executor, countryCode: string, name: string): Promise<AgencyView | undefined> {
    const row = await db.selectFrom('agencies').selectAll().where('country_code', '=', countryCode).where('name', '=', name).executeTakeFirst();
    return row && agencyView(row);
  },

  async agencies(db: Executor, countryCode?: string): Promise<AgencyView[]> {
    let q = db.selectFrom('agencies').selectAll();
    if (countryCode !== undefined) q = q.where('country_code', '=', countryCode);
    return (await q.orderBy('country_code').orderBy('name').execute()).map(agencyView);
  },

  async userRow(db: Executor, id: number): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async userRowByName(db: Executor, username: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
  },

  async user(db: Executor, id: number): Promise<UserView | undefined> {
    const row = await userQuery(db).where('users.id', '=', id).executeTakeFirst();
    return row && userView(row);
  },

  async users(db: Executor, filter: { countryCode?: string; agencyId?: number; roles?: readonly Role[] }): Promise<UserView[]> {
    let q = userQuery(db);
    if (filter.countryCode !== undefined) q = q.where('users.country_code', '=', filter.countryCode);
    if (filter.agencyId !== undefined) q = q.where('users.agency_id', '=', filter.agencyId);
    if (filter.roles !== undefined) q = q.where('users.role', 'in', [...filter.roles]);
    return (await q.orderBy('users.username').execute()).map(userView);
  },

  async userCount(db: Executor): Promise<number> {
    const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },
};

function userQuery(db: Executor) {
  return db
    .selectFrom('users')
    .innerJoin('agencies', 'agencies.id', 'users.agency_id')
    .select([
      'users.id',
      'users.username',
      'users.role',
      'users.status',
      'users.country_code',
      'users.agency_id',
      'agencies.name as agency_name',
      'users.certified_until',
      'users.must_change_password',
      'users.totp_confirmed',
      'users.created_at',
      'users.updated_at',
    ]);
}

type UserQueryRow = Awaited<ReturnType<ReturnType<typeof userQuery>['executeTakeFirstOrThrow']>>;

function userView(row: UserQueryRow): UserView {
  return {
    id: Number(row.id),
    username: row.username,
    role: row.role,
    status: row.status,
    countryCode: row.country_code,
    agencyId: Number(row.agency_id),
    agencyName: row.agency_name,
    certifiedUntil: row.certified_until === null ? null : Number(row.certified_until),
    mustChangePassword: Number(row.must_change_password) === 1,
    totpConfirmed: Number(row.totp_confirmed) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function agencyView(row: { id: number; country_code: string; name: string; created_at: number }): AgencyView {
  return { id: Number(row.id), countryCode: row.country_code, name: row.name, createdAt: Number(row.created_at) };
}
