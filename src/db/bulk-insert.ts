import { CompiledQuery, type QueryResult } from 'kysely';
import type { Dialect, Executor, Schema } from './schema.js';

/** What one bulk insert writes: a table, its columns in the order values are given, and what a conflict does. */
export interface BulkInsertSpec<T extends keyof Schema & string> {
  readonly table: T;
  readonly columns: ReadonlyArray<keyof Schema[T] & string>;
  /** Rows colliding on this unique key are skipped (`on conflict (…) do nothing`) and not counted. */
  readonly skipConflictsOn?: ReadonlyArray<keyof Schema[T] & string>;
  /** A column to return for every row inserted (`returning …`), e.g. the generated id. */
  readonly returning?: keyof Schema[T] & string;
  /** How the `returning` column comes back: as numbers, ascending (ids; the default), or as text (keys). */
  readonly returnAs?: 'number' | 'text';
}

export interface BulkInsertResult {
  /** Rows inserted (rows skipped on a conflict are not counted). */
  readonly inserted: number;
  /** The `returning` column of the rows inserted, as numbers, ascending; empty without `returning` or as text. */
  readonly returned: number[];
  /** The `returning` column of the rows inserted, as text (`returnAs: 'text'`), in no particular order. */
  readonly returnedText: string[];
}

/** Bound parameters in one statement: well below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 16_000;
/** Rows in one statement at most: past a few hundred, longer statements gain nothing. */
const MAX_ROWS = 512;

/**
 * Many rows into one table without building a query tree for them: the statement text for a given number of rows
 * is written once and kept, so the driver's statement cache prepares it once (SQLite) and each call only binds
 * values. Rows are given flat, row after row in column order. A batch is split into full statements of
 * `rowsPerStatement` rows and a tail of power-of-two sizes, so only a handful of distinct statements ever exist.
 * It runs on the executor it is given (a transaction), like any other query, on SQLite and PostgreSQL alike.
 */
export class BulkInsert<T extends keyof Schema & string> {
  readonly rowsPerStatement: number;
  private readonly statements = new Map<number, string>();

  constructor(
    private readonly dialect: Dialect,
    private readonly spec: BulkInsertSpec<T>,
  ) {
    if (spec.columns.length === 0) throw new Error('a bulk insert needs columns');
    this.rowsPerStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / spec.columns.length)));
  }

  get columnCount(): number {
    return this.spec.columns.length;
  }

  /** Inserts the rows whose values lie flat in `values` (a multiple of the column count). */
  async run(executor: Executor, values: readonly unknown[]): Promise<BulkInsertResult> {
    const width = this.spec.columns.length;
    if (values.length % width !== 0) throw new Error(`${values.length} values are not whole rows of ${width} columns`);
    const rows = values.length / width;
    let inserted = 0;
    const returned: number[] = [];
    const returnedText: string[] = [];
    const asText = this.spec.returnAs === 'text';
    let row = 0;
    while (row < rows) {
      const left = rows - row;
      // Full statements, then the tail in powers of two (at most log2(rowsPerStatement) more statements).
      const count = left >= this.rowsPerStatement ? this.rowsPerStatement : 2 ** Math.floor(Math.log2(left));
      // The driver only reads the parameters: a statement covering every row binds `values` itself.
      const parameters = count === rows ? (values as unknown[]) : values.slice(row * width, (row + count) * width);
      const result = await executor.executeQuery<Record<string, unknown>>(CompiledQuery.raw(this.statement(count), parameters));
      if (this.spec.returning !== undefined && this.dialect === 'sqlite') {
        inserted += await this.readBack(executor, result, parameters, count, returned, returnedText);
      } else if (this.spec.returning !== undefined) {
        const column = this.spec.returning;
        if (asText) for (const r of result.rows) returnedText.push(String(r[column]));
        else for (const r of result.rows) returned.push(Number(r[column]));
        inserted += result.rows.length;
      } else inserted += Number(result.numAffectedRows ?? 0n);
      row += count;
    }
    if (returned.length > 1) returned.sort((a, b) => a - b);
    return { inserted, returned, returnedText };
  }

  /**
   * SQLite: what `returning` would have given, without a result row per row inserted. One statement holds the write
   * lock, and an AUTOINCREMENT rowid only grows, so the rows it inserted are the last ones by id, ending at its last
   * insert rowid. When every row went in, their ids are consecutive and another column is the statement's own values;
   * when some were skipped on a conflict (a skipped row may still use up an id), the rows are read back by id.
   * Tables inserted into with `returning` have `id` as their rowid.
   */
  private async readBack(executor: Executor, result: QueryResult<Record<string, unknown>>, parameters: readonly unknown[], count: number, returned: number[], returnedText: string[]): Promise<number> {
    const changes = Number(result.numAffectedRows ?? 0n);
    if (changes === 0) return 0;
    const last = Number(result.insertId);
    const column = this.spec.returning as string;
    const at = this.spec.columns.indexOf(column as keyof Schema[T] & string);
    const values = new Array<unknown>(changes);
    if (changes === count && (column === 'id' || at >= 0)) {
      const width = this.spec.columns.length;
      for (let r = 0; r < count; r++) values[r] = column === 'id' ? last - count + 1 + r : parameters[r * width + at];
    } else {
      const rows = await executor.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(`select ${quote(column)} as "value" from ${quote(this.spec.table)} where "id" <= ? order by "id" desc limit ?`, [last, changes]),
      );
      if (rows.rows.length !== changes) throw new Error(`read back ${rows.rows.length} of the ${changes} rows just inserted into ${this.spec.table}`);
      for (let r = 0; r < changes; r++) values[r] = rows.rows[changes - 1 - r].value;
    }
    if (this.spec.returnAs === 'text') for (const v of values) returnedText.push(String(v));
    else for (const v of values) returned.push(Number(v));
    return changes;
  }

  /** The statement text for `rows` rows, written once. */
  private statement(rows: number): string {
    let text = this.statements.get(rows);
    if (text !== undefined) return text;
    const width = this.spec.columns.length;
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) {
      const marks: string[] = [];
      for (let c = 0; c < width; c++) marks.push(this.dialect === 'postgres' ? `$${r * width + c + 1}` : '?');
      tuples.push(`(${marks.join(',')})`);
    }
    text = `insert into ${quote(this.spec.table)} (${this.spec.columns.map(quote).join(',')}) values ${tuples.join(',')}`;
    if (this.spec.skipConflictsOn !== undefined) text += ` on conflict (${this.spec.skipConflictsOn.map(quote).join(',')}) do nothing`;
    if (this.spec.returning !== undefined && this.dialect !== 'sqlite') text += ` returning ${quote(this.spec.returning)}`;
    this.statements.set(rows, text);
    return text;
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
