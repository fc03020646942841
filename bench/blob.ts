import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { LocalBlobStore } from '../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../src/storage/master-key.js';

/**
 * `npm run bench -- blob [--mib N] [--runs N] [--dir PATH]`: put/get throughput of the encrypted local blob store
 * beside a plain unencrypted write (same chunks, fsync, rename) and read of the same bytes, in the same run and
 * directory, printed as ratios. Reads come from the page cache in both cases: the figure is the CPU cost of
 * sealing, opening and hashing, not the disk.
 */
export async function run(args: string[]): Promise<void> {
  const mib = numberArg(args, '--mib', 256);
  const runs = numberArg(args, '--runs', 3);
  const dir = await mkdtemp(join(stringArg(args, '--dir') ?? tmpdir(), 'ariadne-bench-blob-'));
  const size = mib * 1024 * 1024;
  const chunk = 1024 * 1024;
  // 64 MiB of random bytes reused as the body; a unique first chunk per run keeps every put a new blob.
  const body = randomBytes(Math.min(size, 64 * 1024 * 1024));
  const chunks = (runIndex: number) =>
    Readable.from(
      (function* () {
        for (let offset = 0; offset < size; offset += chunk) {
          const piece = Buffer.from(body.subarray(offset % body.length, (offset % body.length) + Math.min(chunk, size - offset)));
          if (offset === 0) piece.writeUInt32BE(runIndex, 0);
          yield piece;
        }
      })(),
      { objectMode: false },
    );
  try {
    const store = await LocalBlobStore.open({ root: join(dir, 'blobs'), keyring: createKeyring(generateMasterKey()) });
    const plainDir = join(dir, 'plain');
    await mkdir(plainDir, { recursive: true });
    const figures = { put: [] as number[], get: [] as number[], write: [] as number[], read: [] as number[] };
    for (let i = 0; i < runs; i++) {
      let started = performance.now();
      const { sha256 } = await store.put(chunks(i));
      figures.put.push(rate(size, started));

      started = performance.now();
      let seen = 0;
      for await (const piece of await store.get(sha256)) seen += (piece as Buffer).length;
      if (seen !== size) throw new Error(`read ${seen} of ${size} bytes`);
      figures.get.push(rate(size, started));

      started = performance.now();
      const target = join(plainDir, `plain-${i}`);
      await plainWrite(chunks(i), `${target}.tmp`);
      await rename(`${target}.tmp`, target);
      figures.write.push(rate(size, started));

      started = performance.now();
      seen = 0;
      const handle = await open(target, 'r');
      for await (const piece of handle.createReadStream({ highWaterMark: chunk })) seen += (piece as Buffer).length;
      if (seen !== size) throw new Error(`plain read ${seen} of ${size} bytes`);
      figures.read.push(rate(size, started));
    }
    const best = (values: number[]) => Math.max(...values);
    const line = (label: string, value: number, baseline: number, baselineLabel: string) =>
      `${label.padEnd(34)} ${value.toFixed(0).padStart(6)} MiB/s   ${baselineLabel.padEnd(28)} ${baseline.toFixed(0).padStart(6)} MiB/s   ratio ${(value / baseline).toFixed(2)}`;
    process.stdout.write(`blob store, local adapter: ${mib} MiB blob, best of ${runs} runs, ${dir}\n`);
    process.stdout.write(`${line('put (sha256 + seal + fsync + link)', best(figures.put), best(figures.write), 'plain write (fsync + rename)')}\n`);
    process.stdout.write(`${line('get (open + verify + sha256)', best(figures.get), best(figures.read), 'plain read')}\n`);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function plainWrite(source: Readable, path: string): Promise<void> {
  const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await pipeline(source, async (pieces: AsyncIterable<Buffer>) => {
      for await (const piece of pieces) await handle.write(piece);
    });
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function rate(bytes: number, started: number): number {
  return bytes / (1024 * 1024) / ((performance.now() - started) / 1000);
}

function numberArg(args: string[], name: string, fallback: number): number {
  const value = stringArg(args, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number`);
  return parsed;
}

function stringArg(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}
