import { AriadneError, type ErrorKind } from '../core/errors.js';

/** The one place where typed errors become process exit codes (sysexits.h values). */
export const EXIT_BY_KIND: Record<ErrorKind, number> = {
  invalid: 65, // EX_DATAERR
  not_found: 66, // EX_NOINPUT
  forbidden: 77, // EX_NOPERM
  unauthenticated: 77,
  conflict: 75, // EX_TEMPFAIL
  integrity: 70, // EX_SOFTWARE
  unavailable: 69, // EX_UNAVAILABLE
  config: 78, // EX_CONFIG
};

export function exitCodeFor(error: unknown): number {
  return error instanceof AriadneError ? EXIT_BY_KIND[error.kind] : 1;
}

/** One line for a person: typed errors carry their own message; anything else is a bug and shows its stack. */
export function describeFailure(error: unknown): string {
  if (error instanceof AriadneError) return `ariadne: ${error.message}`;
  return `ariadne: unexpected error: ${(error as Error)?.stack ?? String(error)}`;
}
