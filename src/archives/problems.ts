import type { ArchiveProblem, ArchiveProblemCode, NameEncoding } from './archive-entry.js';

export function problem(
  path: string,
  code: ArchiveProblemCode,
  reason: string,
  names: { nameEncoding?: NameEncoding; rawNameHex?: string } = {},
): ArchiveProblem {
  return {
    kind: 'problem',
    path,
    code,
    reason,
    ...(names.nameEncoding ? { nameEncoding: names.nameEncoding } : {}),
    ...(names.rawNameHex ? { rawNameHex: names.rawNameHex } : {}),
  };
}

/** The first line of an error's message, for a problem record. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  return first.trim().slice(0, 500);
}
