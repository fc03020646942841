import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AriadneError, InvalidError, NotFoundError } from '../../core/errors.js';
import type { FileSignalOptions, FileSignals } from '../../signals/file-hasher.js';
import { HashPool } from '../../signals/hash-pool.js';

/**
 * `ariadne hash [--dihedral] [--json] FILE...`: the signals of local files, computed on worker threads.
 *
 * --json prints one object per file per line, in the order given:
 *   {"path","size","mime","md5","sha1","sha256","pdq","quality"}   (pdq and quality null for non-images)
 * with "pdqDihedral" (8 hashes: original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1) under
 * --dihedral and "trimmed" (PDQ inside letterbox bars, when found) under --letterbox. A file that cannot be read, or
 * an image that cannot be decoded, prints {"path","error"}; the others are still hashed, and the command then fails
 * (exit code 65, or 66 when every failure was a missing file).
 * Without --json, one table row per file; errors go to standard error.
 */

/** The part of HashPool the command uses (tests may hand in another). */
export interface HashCommandPool {
  readonly size: number;
  hashFile(path: string, options?: FileSignalOptions): Promise<FileSignals>;
  close(): Promise<void>;
}

export interface HashCommandDeps {
  /** Creates the worker pool for one run, sized for `fileCount` files (default: HashPool, one worker per core). */
  readonly createPool?: (fileCount: number) => HashCommandPool;
  /** Standard output and error writers (default: the process streams). */
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

interface HashCommandOptions {
  readonly dihedral?: boolean;
  readonly json?: boolean;
  readonly letterbox?: boolean;
}

type Outcome = { readonly ok: true; readonly result: FileSignals } | { readonly ok: false; readonly error: string; readonly missing: boolean };

export function registerHashCommand(program: Command, deps: HashCommandDeps = {}): Command {
  const stdout = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const createPool = deps.createPool ?? ((fileCount: number) => new HashPool({ size: Math.max(1, Math.min(availableParallelism(), fileCount)) }));

  return program
    .command('hash')
    .description('print md5, sha1, sha256 and PDQ (images) of local files; exit code 65 when any file failed')
    .argument('<files...>', 'files to hash')
    .option('--dihedral', 'add the eight dihedral PDQ variants (rotations and mirrors) as "pdqDihedral"')
    .option('--json', 'one JSON object per file per line')
    .option('--letterbox', 'add "trimmed": the PDQ of the content inside letterbox bars, when there are bars')
    .action(async (files: string[], options: HashCommandOptions) => {
      if (!deps.stdout) stopQuietlyOnClosedPipe();
      const pool = createPool(files.length);
      const signalOptions: FileSignalOptions = { dihedral: options.dihedral === true, letterbox: options.letterbox === true };
      let failures = 0;
      let missing = 0;
      if (!options.json) stdout(tableHeader());
      try {
        // Keep a bounded window of files in flight and print strictly in the order given.
        const window = Math.max(1, pool.size * 4);
        const inFlight: Promise<Outcome>[] = [];
        let next = 0;
        const start = () => {
          const path = files[next++];
          inFlight.push(hashOne(pool, path, signalOptions));
        };
        while (next < files.length && inFlight.length < window) start();
        for (let i = 0; i < files.length; i++) {
          const outcome = await inFlight.shift()!;
          if (next < files.length) start();
          const path = files[i];
          if (outcome.ok) {
            stdout(options.json ? `${JSON.stringify(jsonRecord(path, outcome.result, options))}\n` : tableRow(path, outcome.result));
          } else {
            failures++;
            if (outcome.missing) missing++;
            if (options.json) stdout(`${JSON.stringify({ path, error: outcome.error })}\n`);
            else stderr(`ariadne hash: ${path}: ${outcome.error}\n`);
          }
        }
      } finally {
        await pool.close();
      }
      if (failures > 0) {
        const message = `${failures} of ${files.length} file${files.length === 1 ? '' : 's'} could not be hashed`;
        throw missing === failures ? new NotFoundError(message, { failures }) : new InvalidError(message, { failures });
      }
    });
}

/** `ariadne hash … | head`: when the reader goes away, stop without a stack trace. */
function stopQuietlyOnClosedPipe(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

async function hashOne(pool: HashCommandPool, path: string, options: FileSignalOptions): Promise<Outcome> {
  try {
    const result = await pool.hashFile(path, options);
    if (result.imageError) return { ok: false, error: result.imageError, missing: false };
    return { ok: true, result };
  } catch (error) {
    // Any failure is this file's: report it and go on with the others.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: stripPath(message, path), missing: error instanceof AriadneError && error.kind === 'not_found' };
  }
}

/** Read errors start with the file's absolute path; the output line already names the file. */
function stripPath(message: string, path: string): string {
  for (const prefix of [`${resolve(path)}: `, `${path}: `]) if (message.startsWith(prefix)) return message.slice(prefix.length);
  return message;
}

function jsonRecord(path: string, r: FileSignals, options: HashCommandOptions): Record<string, unknown> {
  return {
    path,
    size: r.size,
    mime: r.mime,
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
    pdq: r.pdq,
    quality: r.quality,
    ...(options.dihedral ? { pdqDihedral: r.pdqDihedral ?? null } : {}),
    ...(options.letterbox && r.trimmed ? { trimmed: r.trimmed } : {}),
  };
}

function tableHeader(): string {
  return `${'PDQ'.padEnd(64)}  ${'Q'.padStart(3)}  ${'SHA-256'.padEnd(64)}  ${'SIZE'.padStart(10)}  ${'TYPE'.padEnd(24)}  FILE\n`;
}

function tableRow(path: string, r: FileSignals): string {
  const pdq = r.pdq ?? '-'.padEnd(64);
  const quality = r.quality === null ? '-' : String(r.quality);
  return `${pdq}  ${quality.padStart(3)}  ${r.sha256}  ${String(r.size).padStart(10)}  ${r.mime.padEnd(24)}  ${path}\n`;
}
