import type { Logger } from 'pino';
import { AuditLog } from '../audit/audit-log.js';
import { AuditService } from '../audit/audit-service.js';
import type { AriadneConfig } from '../config.js';
import type { Db } from '../db/schema.js';
import type { MasterKeyring } from '../storage/master-key.js';
import { ApiTokenService } from './api-tokens.js';
import { AuthService } from './auth-service.js';
import { directory } from './directory.js';
import { LoginThrottle } from './login-throttle.js';
import { AccessPolicy } from './policy.js';
import { SecretBox } from './secret-box.js';
import { SessionStore } from './sessions.js';
import { UserAdminService } from './user-admin.js';

/** Everything about who may see what, built once by the composition root. */
export interface AccessModule {
  readonly db: Db;
  readonly policy: AccessPolicy;
  readonly audit: AuditLog;
  /** Reading and verifying the audit trail, with access checks. */
  readonly auditReader: AuditService;
  readonly auth: AuthService;
  readonly users: UserAdminService;
  readonly tokens: ApiTokenService;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  /** True while the database holds no user at all (first start: run `ariadne admin bootstrap`). */
  needsBootstrap(): Promise<boolean>;
}

export function createAccessModule(options: { db: Db; keyring: MasterKeyring; settings: AriadneConfig['auth']; logger?: Logger }): AccessModule {
  const { db, keyring, settings } = options;
  const policy = new AccessPolicy();
  const audit = new AuditLog({ db });
  const sessions = new SessionStore(db, keyring, { idleMs: settings.sessionIdleMs, maxMs: settings.sessionMaxMs });
  const throttle = new LoginThrottle(db, { maxFailures: settings.loginMaxFailures, lockMs: settings.loginLockMs });
  const totpBox = new SecretBox(keyring, 'totp secret');
  const tokens = new ApiTokenService(db, policy, audit);
  const users = new UserAdminService({ policy, audit, totpBox, sessions });
  const auth = new AuthService({ db, policy, audit, sessions, throttle, tokens, totpBox, logger: options.logger });
  return {
    db,
    policy,
    audit,
    auditReader: new AuditService(audit, policy),
    auth,
    users,
    tokens,
    sessions,
    throttle,
    needsBootstrap: async () => (await directory.userCount(db)) === 0,
  };
}
