import { sql, type RawBuilder } from 'kysely';

/** `lower(column) LIKE '%text%'` with the text's wildcards escaped, the same on SQLite and PostgreSQL. */
export function containsText(column: string, text: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${sql.ref(column)}) like ${`%${escapeLike(text.toLowerCase())}%`} escape '\\'`;
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
