import type { Db, Tx } from '../db/schema.js';
import type { Role, Scope } from './roles.js';

/** How a user's request proved who it is. */
export type Credential =
  | { readonly kind: 'session'; readonly sessionId: string; readonly restricted: boolean }
  | { readonly kind: 'token'; readonly tokenId: number; readonly scopes: readonly Scope[] };

/** A signed-in user (through a session cookie or an API token). */
export interface UserActor {
  readonly kind: 'user';
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
  readonly countryCode: string;
  readonly agencyId: number;
  readonly certifiedUntil: number | null;
  readonly credential: Credential;
}

/**
 * The operator at the command line (`ariadne users …`): whoever holds the server's configuration and master key.
 * May administer users, countries, tokens and read the audit trail; never material or investigations.
 */
export interface SystemActor {
  readonly kind: 'system';
  readonly name: string;
}

export type Actor = UserActor | SystemActor;

/** What every service method receives: who asks, from where, for which request. */
export interface RequestContext {
  readonly actor: Actor;
  /** The actor's country (null for the system operator). */
  readonly country: string | null;
  readonly requestId: string | null;
  readonly address: string | null;
  /** Epoch milliseconds of the request: one clock reading for the whole operation. */
  readonly now: number;
}

/** A RequestContext inside an open transaction: the service's writes and its audit entry commit together. */
export interface TxContext extends RequestContext {
  readonly tx: Tx;
}

export function systemActor(name = 'cli'): SystemActor {
  return { kind: 'system', name };
}

export function actorName(actor: Actor): string {
  return actor.kind === 'user' ? actor.username : `system:${actor.name}`;
}

export function contextFor(actor: Actor, extra: { requestId?: string | null; address?: string | null; now?: number } = {}): RequestContext {
  return {
    actor,
    country: actor.kind === 'user' ? actor.countryCode : null,
    requestId: extra.requestId ?? null,
    address: extra.address ?? null,
    now: extra.now ?? Date.now(),
  };
}

/** Runs `fn` in one transaction with the context: the service's writes and its audit entries commit together. */
export function inTransaction<T>(db: Db, ctx: RequestContext, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  return db.transaction().execute((tx) => fn({ ...ctx, tx }));
}
