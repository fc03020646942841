/**
 * Roles, token scopes and the named permissions that routes and services ask for. This table is the single
 * statement of who may do what at the level of routes; object-level rules (countries, agencies, sharing) live in
 * policy.ts.
 */
export const ROLES = ['investigator', 'country_admin', 'global_admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** What an API token may do; a token never gets more than its user's role allows. */
export const SCOPES = ['read', 'upload', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface PermissionRule {
  readonly roles: readonly Role[];
  /** The token scope needed; `null`: sessions only (a token can never do it). */
  readonly scope: Scope | null;
  /** Needs a valid certification (material and investigations). */
  readonly certified: boolean;
  /** Reachable from a restricted session (one that must first change its one-time password). */
  readonly restrictedOk: boolean;
  readonly description: string;
}

const EVERYONE: readonly Role[] = ROLES;
const HANDLE_MATERIAL: readonly Role[] = ['investigator', 'country_admin', 'global_admin'];
const ADMINS: readonly Role[] = ['country_admin', 'global_admin'];
const OVERSIGHT: readonly Role[] = ['auditor', 'country_admin', 'global_admin'];

export const PERMISSIONS = {
  account: { roles: EVERYONE, scope: 'read', certified: false, restrictedOk: true, description: 'one\'s own account: who am I, log out, change password' },
  'account.manage': { roles: EVERYONE, scope: null, certified: false, restrictedOk: false, description: 'one\'s own API tokens and recovery codes (sessions only)' },
  'media.match': { roles: HANDLE_MATERIAL, scope: 'read', certified: true, restrictedOk: false, description: 'match hashes and items against the shared database' },
  'media.view': { roles: HANDLE_MATERIAL, scope: 'read', certified: true, restrictedOk: false, description: 'view previews and originals (every view is audited)' },
  'media.upload': { roles: HANDLE_MATERIAL, scope: 'upload', certified: true, restrictedOk: false, description: 'upload material and hash sets' },
  'cases.read': { roles: HANDLE_MATERIAL, scope: 'read', certified: true, restrictedOk: false, description: 'read investigations one is a member of or that are shared with one\'s agency or country' },
  'cases.write': { roles: HANDLE_MATERIAL, scope: 'upload', certified: true, restrictedOk: false, description: 'change investigations, comments and notes' },
  'users.admin': { roles: ADMINS, scope: 'admin', certified: false, restrictedOk: false, description: 'administer agencies and users (a country admin: of its own country only)' },
  'hashsets.admin': { roles: ADMINS, scope: 'admin', certified: false, restrictedOk: false, description: 'import, export, enable and disable shared hash sets (VICS, ICSE, PDQ lists)' },
  'countries.admin': { roles: ['global_admin'], scope: 'admin', certified: false, restrictedOk: false, description: 'add member countries' },
  'audit.read': { roles: OVERSIGHT, scope: 'read', certified: false, restrictedOk: false, description: 'read and verify the audit trail (a country admin: its own country\'s entries)' },
  'stats.read': { roles: OVERSIGHT, scope: 'read', certified: false, restrictedOk: false, description: 'read statistics' },
  'notices.read': { roles: HANDLE_MATERIAL, scope: 'read', certified: true, restrictedOk: false, description: 'read published Green and Yellow Notices (and one\'s own country\'s drafts)' },
  'notices.write': { roles: HANDLE_MATERIAL, scope: 'upload', certified: true, restrictedOk: false, description: 'draft, request, update and ask to cancel one\'s own country\'s notices' },
  'notices.review': { roles: ['global_admin'], scope: 'admin', certified: true, restrictedOk: false, description: 'publish or return requested notices, confirm cancellations' },
  'operations.read': { roles: HANDLE_MATERIAL, scope: 'read', certified: true, restrictedOk: false, description: 'read joint operations one\'s country participates in' },
  'operations.write': { roles: HANDLE_MATERIAL, scope: 'upload', certified: true, restrictedOk: false, description: 'create joint operations, post, share into and work in them' },
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof PERMISSIONS;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function permissionRule(permission: Permission): PermissionRule {
  return PERMISSIONS[permission];
}
