import { lstatSync } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

export type WalkItem =
  | { readonly ok: true; readonly absolute: string; readonly path: string; readonly size: number; readonly mtime: number }
  | { readonly ok: false; readonly path: string; readonly reason: string };

/**
 * The files under the given paths, depth first, in a stable (sorted) order. Each is named by its path relative to
 * the parent of the argument it was found under (so `ariadne ingest /media/seizure` records `seizure/DCIM/a.jpg`).
 * Symbolic links, devices, sockets and unreadable entries are reported, never followed or read.
 *
 * For the command line (ingest, scan): each entry's lstat is a blocking call, a few microseconds on a local disk,
 * where the promise form would cost a hand-off to libuv's thread pool and back for every file.
 */
export async function* walkPaths(paths: readonly string[]): AsyncGenerator<WalkItem> {
  for (const arg of paths) {
    const root = resolve(arg);
    const base = resolve(root, '..');
    yield* walk(root, base);
  }
}

async function* walk(absolute: string, base: string): AsyncGenerator<WalkItem> {
  const path = relative(base, absolute).split(sep).join('/') || basename(absolute);
  let info;
  try {
    info = lstatSync(absolute);
  } catch (error) {
    yield { ok: false, path, reason: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    return;
  }
  if (info.isSymbolicLink()) {
    yield { ok: false, path, reason: 'symbolic link: not followed' };
    return;
  }
  if (info.isFile()) {
    yield { ok: true, absolute, path, size: info.size, mtime: info.mtimeMs };
    return;
  }
  if (!info.isDirectory()) {
    yield { ok: false, path, reason: 'not a regular file (device, socket or pipe)' };
    return;
  }
  let names: string[];
  try {
    names = [];
    for await (const entry of await opendir(absolute)) names.push(entry.name);
  } catch (error) {
    yield { ok: false, path, reason: `cannot list folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    return;
  }
  names.sort();
  for (const name of names) yield* walk(join(absolute, name), base);
}
