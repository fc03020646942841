import { jobs } from './0001-jobs.js';
import type { MigrationStep } from './types.js';

/** Every migration, in order. Append only: a migration that has shipped is never edited. */
export const MIGRATIONS: readonly MigrationStep[] = [jobs];
