import type { Db, Tx } from './schema.js';

/**
 * Small transactions that arrive close together, committed together: the units of work run one after the other in
 * one transaction, which commits once for all of them. A commit costs far more than a small unit's writes: SQLite
 * writes every page the transaction changed to its log (units that append to the same tables and indexes change the
 * same pages) and waits for the log to be on disk; PostgreSQL flushes its log once too.
 *
 * When a unit fails (or the commit does), nothing of the group is written, and each of its units runs again in a
 * transaction of its own: a unit's failure stays its own, as if each had had its own transaction all along. So a
 * unit may run twice: it must do nothing but database work in the transaction it is given (savepoints per unit would
 * avoid the rerun, but SQLite keeps the pages a savepoint changes in a journal that spills to a temporary file).
 *
 * Each unit's promise settles once the transaction holding it has committed (and is durable, as any commit), in the
 * order the units came. A group is committed when `maxUnits` are waiting, when `windowMs` has passed since its first
 * unit came, or at once when `underWay()` says no other unit can be coming (a lone writer never waits).
 */
export interface CommitGroupOptions {
  /** The longest a unit waits for others to join its group. */
  readonly windowMs: number;
  /** A group this large is committed at once. */
  readonly maxUnits: number;
  /**
   * How much work that ends in a unit is under way, counting the units already given to `run` and not yet settled:
   * when that is all of it, no other unit can come, and what is waiting commits without waiting for the window.
   */
  readonly underWay: () => number;
}

interface Unit {
  readonly fn: (tx: Tx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class CommitGroup {
  private waiting: Unit[] = [];
  /** Units given to `run` and not yet settled. */
  private unsettled = 0;
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly options: CommitGroupOptions,
  ) {
    if (!(options.windowMs >= 0) || !(options.maxUnits >= 1)) throw new RangeError('a commit group needs windowMs >= 0 and maxUnits >= 1');
  }

  /** Runs `fn` in the next group's transaction; settles once that transaction has committed (see the class). */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.unsettled++;
    const settled = new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.waiting.length >= this.options.maxUnits || this.options.underWay() <= this.unsettled) this.commitWaiting();
      else this.timer ??= setTimeout(() => this.commitWaiting(), this.options.windowMs);
    });
    return settled.finally(() => {
      this.unsettled--;
    });
  }

  /** Commits what is waiting now (after the group being committed, if any), e.g. before closing. */
  async flush(): Promise<void> {
    this.commitWaiting();
    await this.committing;
  }

  private commitWaiting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const units = this.waiting;
    if (units.length === 0) return;
    this.waiting = [];
    // One group at a time, in order: a later group's units may read what an earlier one wrote.
    this.committing = this.committing.then(() => this.commit(units));
  }

  private async commit(units: readonly Unit[]): Promise<void> {
    if (units.length > 1) {
      try {
        const values = await this.db.transaction().execute(async (tx) => {
          const out: unknown[] = [];
          for (const unit of units) out.push(await unit.fn(tx));
          return out;
        });
        units.forEach((unit, i) => unit.resolve(values[i]));
        return;
      } catch {
        // A unit failed, or the commit did: nothing of the group was written. Each runs again in a transaction of its
        // own, so that a unit's failure is its own.
      }
    }
    for (const unit of units) {
      try {
        unit.resolve(await this.db.transaction().execute((tx) => unit.fn(tx)));
      } catch (error) {
        unit.reject(error);
      }
    }
  }
}
