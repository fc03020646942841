import type { HashSetsTable } from '../db/schema.js';

/** A hash set as services return it. */
export interface HashSet {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly terms: string;
  readonly format: string;
  readonly enabled: boolean;
  readonly entryCount: number;
  readonly createdBy: number | null;
  readonly createdAt: number;
}

export function toSet(row: { [K in keyof HashSetsTable]: unknown }): HashSet {
  return {
    id: Number(row.id),
    name: String(row.name),
    source: String(row.source),
    terms: String(row.terms),
    format: String(row.format),
    enabled: Number(row.enabled) === 1,
    entryCount: Number(row.entry_count),
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: Number(row.created_at),
  };
}
