import { describe, expect, it } from 'vitest';
import { systemActor, type UserActor } from '../../src/auth/actor.js';
import { AccessPolicy, type Shareable } from '../../src/auth/policy.js';
import { PERMISSIONS, type Permission, type Role, type Scope } from '../../src/auth/roles.js';
import { NotFoundError } from '../../src/core/errors.js';

const NOW = 1_800_000_000_000;
const policy = new AccessPolicy(() => NOW);

function user(role: Role, extra: Partial<UserActor> = {}): UserActor {
  return {
    kind: 'user',
    userId: 1,
    username: 'u',
    role,
    countryCode: 'FR',
    agencyId: 10,
    certifiedUntil: NOW + 1000,
    credential: { kind: 'session', sessionId: 's', restricted: false },
    ...extra,
  };
}
const token = (scopes: Scope[]): UserActor['credential'] => ({ kind: 'token', tokenId: 1, scopes });

describe('access policy', () => {
  it('grants route permissions by role exactly as specified', () => {
    const expected: Record<Role, Permission[]> = {
      investigator: ['account', 'account.manage', 'media.match', 'media.view', 'media.upload', 'cases.read', 'cases.write', 'notices.read', 'notices.write', 'operations.read', 'operations.write'],
      country_admin: ['account', 'account.manage', 'media.match', 'media.view', 'media.upload', 'cases.read', 'cases.write', 'users.admin', 'hashsets.admin', 'audit.read', 'stats.read', 'notices.read', 'notices.write', 'operations.read', 'operations.write'],
      global_admin: ['account', 'account.manage', 'media.match', 'media.view', 'media.upload', 'cases.read', 'cases.write', 'users.admin', 'hashsets.admin', 'countries.admin', 'audit.read', 'stats.read', 'notices.read', 'notices.write', 'notices.review', 'operations.read', 'operations.write'],
      auditor: ['account', 'account.manage', 'audit.read', 'stats.read'],
    };
    for (const [role, permissions] of Object.entries(expected) as [Role, Permission[]][]) {
      const granted = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => policy.can(user(role), p));
      expect(granted, role).toEqual(permissions);
    }
  });

  it('shows material only while certified, never to auditors', () => {
    expect(policy.canSeeMedia(user('investigator'))).toBe(true);
    expect(policy.canMatch(user('investigator'))).toBe(true);
    expect(policy.canSeeMedia(user('investigator', { certifiedUntil: NOW }))).toBe(false);
    expect(policy.canSeeMedia(user('investigator', { certifiedUntil: null }))).toBe(false);
    expect(policy.canUploadMedia(user('investigator', { certifiedUntil: NOW - 1 }))).toBe(false);
    expect(policy.canSeeMedia(user('auditor'))).toBe(false);
    expect(policy.canSeeMedia(user('global_admin', { certifiedUntil: null }))).toBe(false);
    expect(policy.canSeeMedia(systemActor())).toBe(false);
    // An expired user can still reach its own account (to renew).
    expect(policy.can(user('investigator', { certifiedUntil: null }), 'account')).toBe(true);
  });

  it('limits tokens to their scopes and keeps account management to sessions', () => {
    expect(policy.canSeeMedia(user('investigator', { credential: token(['read']) }))).toBe(true);
    expect(policy.canUploadMedia(user('investigator', { credential: token(['read']) }))).toBe(false);
    expect(policy.canUploadMedia(user('investigator', { credential: token(['upload']) }))).toBe(true);
    expect(policy.can(user('global_admin', { credential: token(['read', 'upload']) }), 'users.admin')).toBe(false);
    expect(policy.can(user('global_admin', { credential: token(['admin']) }), 'users.admin')).toBe(true);
    expect(policy.can(user('global_admin', { credential: token(['read', 'upload', 'admin']) }), 'account.manage')).toBe(false);
    // A scope never adds to the role.
    expect(policy.can(user('investigator', { credential: token(['admin']) }), 'users.admin')).toBe(false);
  });

  it('keeps a restricted session to its own account', () => {
    const restricted = user('global_admin', { credential: { kind: 'session', sessionId: 's', restricted: true } });
    expect(policy.can(restricted, 'account')).toBe(true);
    for (const p of Object.keys(PERMISSIONS) as Permission[]) if (p !== 'account') expect(policy.can(restricted, p), p).toBe(false);
  });

  it('shows investigations only to members and the agencies and countries they are shared with', () => {
    const kase: Shareable = { memberUserIds: [5], sharedAgencyIds: [20], sharedCountries: ['DE'] };
    expect(policy.canSeeCase(user('investigator', { userId: 5, agencyId: 99, countryCode: 'IT' }), kase)).toBe(true);
    expect(policy.canSeeCase(user('investigator', { agencyId: 20, countryCode: 'IT' }), kase)).toBe(true);
    expect(policy.canSeeCase(user('investigator', { agencyId: 99, countryCode: 'DE' }), kase)).toBe(true);
    expect(policy.canSeeCase(user('investigator', { agencyId: 99, countryCode: 'FR' }), kase)).toBe(false);
    // Neither an admin role nor membership helps without certification.
    expect(policy.canSeeCase(user('global_admin', { agencyId: 99 }), kase)).toBe(false);
    expect(policy.canSeeCase(user('investigator', { userId: 5, certifiedUntil: null }), kase)).toBe(false);
    expect(policy.canSeeCase(user('auditor', { userId: 5 }), kase)).toBe(false);
    expect(() => policy.assertCanSeeCase(user('investigator', { agencyId: 99 }), kase)).toThrow(NotFoundError);
    expect(() => policy.assertCanChangeCase(user('investigator', { userId: 5, credential: token(['read']) }), kase)).toThrow(/upload scope/);
  });

  it('lets a country admin administer its own country\'s investigators and country admins only', () => {
    const fr = user('country_admin');
    expect(policy.canAdministerUser(fr, { countryCode: 'FR', role: 'investigator' })).toBe(true);
    expect(policy.canAdministerUser(fr, { countryCode: 'FR', role: 'country_admin' })).toBe(true);
    expect(policy.canAdministerUser(fr, { countryCode: 'DE', role: 'investigator' })).toBe(false);
    expect(policy.canAdministerUser(fr, { countryCode: 'FR', role: 'global_admin' })).toBe(false);
    expect(policy.canAdministerUser(fr, { countryCode: 'FR', role: 'auditor' })).toBe(false);
    expect(() => policy.assertCanAdministerUser(fr, { countryCode: 'DE', role: 'investigator' })).toThrow(NotFoundError);
    expect(policy.canGrantRole(fr, 'global_admin')).toBe(false);
    expect(policy.canGrantRole(fr, 'auditor')).toBe(false);
    expect(policy.canAdministerUser(user('global_admin'), { countryCode: 'DE', role: 'auditor' })).toBe(true);
    expect(policy.canAdministerUser(systemActor(), { countryCode: 'DE', role: 'global_admin' })).toBe(true);
    expect(policy.canAdministerUser(user('investigator'), { countryCode: 'FR', role: 'investigator' })).toBe(false);
    expect(() => policy.assertNotSelf(fr, 1, 'certify')).toThrow(/own account/);
  });

  it('scopes the audit trail: auditors and global admins all, a country admin its country, others nothing', () => {
    expect(policy.auditScope(user('auditor'))).toEqual({ all: true });
    expect(policy.auditScope(user('global_admin'))).toEqual({ all: true });
    expect(policy.auditScope(user('country_admin'))).toEqual({ all: false, country: 'FR' });
    expect(policy.auditScope(user('investigator'))).toBeNull();
    expect(policy.auditScope(systemActor())).toEqual({ all: true });
  });
});
