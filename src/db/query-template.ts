import { createQueryId, type Compilable, type CompiledQuery, type QueryResult, type RootOperationNode } from 'kysely';
import type { Executor } from './schema.js';

/** Stands for one of a template's values while the statement is built; never reaches the database. */
class Slot {
  constructor(readonly name: string) {}
}

interface Compiled {
  readonly sql: string;
  readonly query: RootOperationNode;
  /** For each bound parameter: the name of the value it takes, or its own constant (a literal the builder bound). */
  readonly parameters: ReadonlyArray<{ readonly name: string } | { readonly constant: unknown }>;
}

/**
 * A statement whose shape never changes (the same columns, the same conditions), built and compiled by Kysely once
 * and then run with new values: each run only binds them, so the hot paths (a file's rows at intake, the audit head)
 * do not build and compile a query tree per statement, and the SQLite driver's statement cache prepares it once.
 *
 * The values are an object's properties or an array's items (a statement of several rows). The builder is given
 * stand-ins for them (`v.id`, `v[3]`): use them only as values the statement binds (in a
 * comparison, a `values` or `set` object, a limit), never in JavaScript (`if (v.x)`, `v.list.length`, `'in'` lists).
 * A stand-in that does not reach the statement as a bound parameter makes the template refuse to compile, so most
 * misuses fail on their first run rather than binding the wrong value. Runs on whatever executor it is given (the
 * database or a transaction), on SQLite and PostgreSQL alike.
 */
export class QueryTemplate<V extends object, R> {
  /** Compiled for each dialect it ran on (a process may hold databases of both: the tests). */
  private readonly compiled = new Map<unknown, Compiled>();

  constructor(private readonly build: (db: Executor, values: V) => Compilable<R>) {}

  /** The statement with these values bound (compiled on first use with the executor's dialect). */
  bind(executor: Executor, values: V): CompiledQuery<R> {
    const dialect = executor.getExecutor().adapter.constructor;
    let compiled = this.compiled.get(dialect);
    if (!compiled) this.compiled.set(dialect, (compiled = this.compile(executor)));
    const named = values as Record<string, unknown>;
    const parameters = compiled.parameters.map((p) => ('name' in p ? named[p.name] : p.constant));
    return { sql: compiled.sql, query: compiled.query, parameters, queryId: createQueryId() };
  }

  /** Runs the statement; the driver's result (rows, affected rows). */
  run(executor: Executor, values: V): Promise<QueryResult<R>> {
    return executor.executeQuery(this.bind(executor, values));
  }

  async execute(executor: Executor, values: V): Promise<R[]> {
    return (await this.run(executor, values)).rows;
  }

  async executeTakeFirst(executor: Executor, values: V): Promise<R | undefined> {
    return (await this.run(executor, values)).rows[0];
  }

  private compile(executor: Executor): Compiled {
    const slots = new Map<string, Slot>();
    const values = new Proxy({} as V, {
      get(_, key) {
        if (typeof key !== 'string') return undefined;
        let slot = slots.get(key);
        if (!slot) slots.set(key, (slot = new Slot(key)));
        return slot;
      },
      // Spreading or listing the stand-ins would silently bind nothing: name each value instead.
      ownKeys() {
        throw new Error('query template: name each value (`v.x`); the values cannot be spread or listed');
      },
    });
    const { sql, query, parameters } = this.build(executor, values).compile();
    const bound = new Set<string>();
    const mapped = parameters.map((p) => {
      if (!(p instanceof Slot)) return { constant: p };
      bound.add(p.name);
      return { name: p.name };
    });
    for (const name of slots.keys()) {
      if (!bound.has(name)) throw new Error(`query template: value "${name}" is not bound in \`${sql}\` (stand-ins are values to bind, not to use in code)`);
    }
    return { sql, query, parameters: mapped };
  }
}
