import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../core/errors.js';
import type { Actor, UserActor } from './actor.js';
import { PERMISSIONS, type Permission, type Role } from './roles.js';

/** Anything that belongs to an agency in a country (a user, an agency, a token through its user). */
export interface CountryOwned {
  readonly countryCode: string;
  readonly agencyId?: number;
}

/**
 * An investigation, comment or note: visible only to its members and to the agencies and countries it is shared
 * with (DESIGN.md section 7). Cases, comments and notes build this shape and ask `canSeeCase`.
 */
export interface Shareable {
  readonly memberUserIds: readonly number[];
  readonly sharedAgencyIds: readonly number[];
  readonly sharedCountries: readonly string[];
}

export type AuditScope = { readonly all: true } | { readonly all: false; readonly country: string };

export type Decision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const ALLOW: Decision = { ok: true };

/**
 * The one access policy. Route-level permissions come from roles.ts; this adds certification, token scopes,
 * restricted sessions and the object-level rules. Methods named `can…` answer; `assert…` throw — NotFoundError
 * for objects the actor may not see (so ids leak nothing), ForbiddenError for actions on objects it may see.
 */
export class AccessPolicy {
  constructor(private readonly clock: () => number = Date.now) {}

  isCertified(actor: Actor, now = this.clock()): boolean {
    return actor.kind === 'user' && actor.certifiedUntil !== null && actor.certifiedUntil > now;
  }

  /** Whether the actor holds a route-level permission, with the reason when not. */
  check(actor: Actor, permission: Permission, now = this.clock()): Decision {
    const rule = PERMISSIONS[permission];
    if (actor.kind === 'system') {
      // The operator administers; material and investigations are for certified people only.
      return rule.certified ? { ok: false, reason: 'the command-line operator cannot handle material or investigations' } : ALLOW;
    }
    if (!(rule.roles as readonly Role[]).includes(actor.role)) return { ok: false, reason: `the ${actor.role} role may not do this` };
    const credential = actor.credential;
    if (credential.kind === 'session' && credential.restricted && !rule.restrictedOk) {
      return { ok: false, reason: 'change your one-time password first' };
    }
    if (credential.kind === 'token' && (rule.scope === null || !credential.scopes.includes(rule.scope))) {
      return { ok: false, reason: rule.scope === null ? 'API tokens cannot do this; sign in' : `the token lacks the ${rule.scope} scope` };
    }
    if (rule.certified && !this.isCertified(actor, now)) return { ok: false, reason: 'your certification has expired or was never granted' };
    return ALLOW;
  }

  can(actor: Actor, permission: Permission, now = this.clock()): boolean {
    return this.check(actor, permission, now).ok;
  }

  /** Throws ForbiddenError (UnauthenticatedError without an actor) unless the actor holds the permission. */
  require(actor: Actor | null | undefined, permission: Permission, now = this.clock()): void {
    if (!actor) throw new UnauthenticatedError();
    const decision = this.check(actor, permission, now);
    if (!decision.ok) throw new ForbiddenError(decision.reason);
  }

  /** Stored material is matchable by every certified investigator, whatever country uploaded it. */
  canMatch(actor: Actor): boolean {
    return this.can(actor, 'media.match');
  }

  /** Previews and originals: certified people only; the caller audits every view and download. */
  canSeeMedia(actor: Actor): boolean {
    return this.can(actor, 'media.view');
  }

  canUploadMedia(actor: Actor): boolean {
    return this.can(actor, 'media.upload');
  }

  /** Investigations, comments, notes: members and the agencies and countries they are shared with. */
  canSeeCase(actor: Actor, object: Shareable): boolean {
    if (actor.kind !== 'user' || !this.can(actor, 'cases.read')) return false;
    return (
      object.memberUserIds.includes(actor.userId) ||
      object.sharedAgencyIds.includes(actor.agencyId) ||
      object.sharedCountries.includes(actor.countryCode)
    );
  }

  /** Writing needs visibility and the write permission; an invisible object answers not found. */
  assertCanChangeCase(actor: Actor, object: Shareable, what = 'investigation'): void {
    this.assertCanSeeCase(actor, object, what);
    this.require(actor, 'cases.write');
  }

  assertCanSeeCase(actor: Actor, object: Shareable, what = 'investigation'): void {
    if (!this.canSeeCase(actor, object)) throw new NotFoundError(`${what} not found`);
  }

  /** Global admins administer every country; a country admin its own country only; the operator everything. */
  canAdministerCountry(actor: Actor, countryCode: string): boolean {
    if (!this.can(actor, 'users.admin')) return false;
    if (actor.kind === 'system' || actor.role === 'global_admin') return true;
    return actor.countryCode === countryCode;
  }

  /**
   * Whether the actor may see and change a user account. A country admin manages its country's investigators and
   * country admins, never global admins or auditors (they answer not found, like users of other countries).
   */
  canAdministerUser(actor: Actor, target: CountryOwned & { readonly role: Role }): boolean {
    if (!this.canAdministerCountry(actor, target.countryCode)) return false;
    if (actor.kind === 'user' && actor.role === 'country_admin') return target.role === 'investigator' || target.role === 'country_admin';
    return true;
  }

  /** Roles an actor may hand out. */
  canGrantRole(actor: Actor, role: Role): boolean {
    if (!this.can(actor, 'users.admin')) return false;
    if (actor.kind === 'system' || actor.role === 'global_admin') return true;
    return role === 'investigator' || role === 'country_admin';
  }

  assertCanAdministerUser(actor: Actor, target: CountryOwned & { readonly role: Role; readonly id?: number }): void {
    if (!this.canAdministerUser(actor, target)) throw new NotFoundError('user not found');
  }

  /**
   * Nobody changes their own role, certification or suspension: an admin cannot certify themself into seeing
   * material or undo their own suspension.
   */
  assertNotSelf(actor: Actor, targetUserId: number, what: string): void {
    if (actor.kind === 'user' && actor.userId === targetUserId) throw new ForbiddenError(`you cannot ${what} your own account; ask another administrator`);
  }

  /** Which audit entries an actor may read: all of them, those of its country, or none (null). */
  auditScope(actor: Actor): AuditScope | null {
    if (!this.can(actor, 'audit.read')) return null;
    if (actor.kind === 'system' || actor.role !== 'country_admin') return { all: true };
    return { all: false, country: actor.countryCode };
  }

  /** The user behind an actor, or ForbiddenError for the command-line operator. */
  user(actor: Actor): UserActor {
    if (actor.kind !== 'user') throw new ForbiddenError('this needs a signed-in user');
    return actor;
  }
}
