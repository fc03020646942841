import type { Db, Executor } from '../db/schema.js';

export interface ThrottleSettings {
  readonly maxFailures: number;
  readonly lockMs: number;
}

/**
 * Per-account lock-out, kept in the database so every API process sees it. Keyed by the account name as typed,
 * whether or not such a user exists: unknown names lock exactly like real ones, so the lock tells nothing.
 * Failures older than the lock period are forgotten.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Db,
    readonly settings: ThrottleSettings,
  ) {}

  /** When the account is locked, the time the lock ends; else null. */
  async lockedUntil(account: string, now: number, executor: Executor = this.db): Promise<number | null> {
    const row = await executor.selectFrom('login_throttle').select('locked_until').where('account', '=', account).executeTakeFirst();
    const until = row?.locked_until === null || row?.locked_until === undefined ? null : Number(row.locked_until);
    return until !== null && until > now ? until : null;
  }

  /** Counts a failure; returns true when this failure locked the account. */
  async failure(tx: Executor, account: string, now: number): Promise<boolean> {
    await tx
      .insertInto('login_throttle')
      .values({ account, failures: 1, first_failure_at: now, locked_until: null })
      .onConflict((oc) => oc.column('account').doUpdateSet((eb) => ({ failures: eb('login_throttle.failures', '+', 1) })))
      .execute();
    const row = await tx.selectFrom('login_throttle').selectAll().where('account', '=', account).executeTakeFirstOrThrow();
    let failures = Number(row.failures);
    if (now - Number(row.first_failure_at) > this.settings.lockMs) {
      failures = 1;
      await tx.updateTable('login_throttle').set({ failures: 1, first_failure_at: now }).where('account', '=', account).execute();
    }
    if (failures >= this.settings.maxFailures) {
      await tx
        .updateTable('login_throttle')
        .set({ failures: 0, first_failure_at: now, locked_until: now + this.settings.lockMs })
        .where('account', '=', account)
        .execute();
      return true;
    }
    return false;
  }

  async clear(tx: Executor, account: string): Promise<void> {
    await tx.deleteFrom('login_throttle').where('account', '=', account).execute();
  }
}
