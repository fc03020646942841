import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { errnoCode } from './fs-util.js';

/**
 * Temporary files of in-flight puts (the local store's root/tmp, the S3 store's spool directory). A name records the
 * writing process and host, `put-<pid>-<random>-<host fingerprint>.tmp`, so a later start can tell a crashed
 * writer's leftovers from another live process's work in a shared directory: a file from this host whose process is
 * gone is removed at once; any file untouched for `staleAfterMs` is removed too (hosts sharing the directory, pid
 * namespaces of containers). An in-flight put keeps touching its file, so only a writer stalled that long loses it.
 */
const TEMP_NAME = /^put-(\d+)-[0-9a-f]{16}-([0-9a-f]{8})\.tmp$/;

let fingerprint: string | undefined;

/**
 * This host's fingerprint, worked out once per thread (os.hostname is a system call, and every put names a file). A
 * host renamed while running names files by its old name: a later start then tells its leftovers by age alone.
 */
function hostFingerprint(): string {
  fingerprint ??= createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  return fingerprint;
}

export function tempFileName(): string {
  return `put-${process.pid}-${randomBytes(8).toString('hex')}-${hostFingerprint()}.tmp`;
}

export const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Removes crashed writers' temporary files from `dir`; returns how many it removed. Other files are left alone. */
export async function removeStaleTempFiles(dir: string, staleAfterMs: number = DEFAULT_STALE_TEMP_MS, now: number = Date.now()): Promise<number> {
  const host = hostFingerprint();
  let removed = 0;
  for (const name of await readdir(dir)) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    let stale = match[2] === host && !processAlive(Number(match[1]));
    if (!stale) {
      try {
        stale = now - (await stat(path)).mtimeMs > staleAfterMs;
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue;
        throw error;
      }
    }
    if (!stale) continue;
    try {
      await unlink(path);
      removed++;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return removed;
}
