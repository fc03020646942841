import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests that need something outside the project (../shared test data, PostgreSQL binaries, ffmpeg) ask here.
 * When it is missing they skip loudly; under ARIADNE_REQUIRE_ALL=1 (CI) a missing requirement fails instead.
 */
export const requireAll = process.env.ARIADNE_REQUIRE_ALL === '1';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The read-only shared folder beside the checkout (`../shared`), or ARIADNE_SHARED_DIR. */
export const sharedDir = process.env.ARIADNE_SHARED_DIR ?? resolve(projectRoot, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return resolve(sharedDir, ...parts);
}

/**
 * Returns a reason string when the requirement is missing (for `describe.skipIf`), or undefined when present.
 * Under ARIADNE_REQUIRE_ALL=1 a missing requirement throws, which fails the test file.
 */
export function missing(what: string, present: boolean): string | undefined {
  if (present) return undefined;
  const message = `REQUIREMENT MISSING: ${what}`;
  if (requireAll) throw new Error(`${message} (ARIADNE_REQUIRE_ALL=1 makes this a failure)`);
  console.warn(`\n*** ${message}: these tests are SKIPPED ***\n`);
  return message;
}

/** `missing()` for a path under ../shared. */
export function missingShared(...parts: string[]): string | undefined {
  const path = sharedPath(...parts);
  return missing(`shared test data ${path}`, existsSync(path));
}
