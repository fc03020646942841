import { mkdtemp, readFile, rm, stat, truncate, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IntegrityError } from '../../src/core/errors.js';
import { ExactIndex } from '../../src/index/exact-index.js';
import { LinearIndex } from '../../src/index/linear-index.js';
import { MultiIndexHashIndex } from '../../src/index/multi-index-hash-index.js';
import { SnapshotKind, readSnapshot, writeSnapshot } from '../../src/index/snapshot.js';
import { pairs, prng, randomHashes } from './support.js';

const loaders = {
  linear: (path: string) => LinearIndex.load(path),
  mih: (path: string) => MultiIndexHashIndex.load(path),
  exact: (path: string) => ExactIndex.load(path),
};

describe('index snapshots', () => {
  let dir: string;
  const packed = randomHashes(200, prng(5));
  const ids = Array.from({ length: 200 }, (_, i) => i);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-snap-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function saved(kind: keyof typeof loaders, name: string): Promise<string> {
    const path = join(dir, name);
    if (kind === 'exact') {
      const index = new ExactIndex('sha1');
      for (let i = 0; i < 100; i++) index.add(i, packed, i * 32);
      await index.save(path, 9);
    } else {
      const index = kind === 'linear' ? new LinearIndex() : new MultiIndexHashIndex();
      index.build(ids, packed);
      await index.save(path, 9);
    }
    return path;
  }

  for (const kind of Object.keys(loaders) as Array<keyof typeof loaders>) {
    describe(kind, () => {
      it('round-trips and leaves no temporary file behind', async () => {
        const path = await saved(kind, `${kind}-ok.snap`);
        const loaded = await loaders[kind](path);
        expect(loaded.checkpoint).toBe(9n);
        expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
      });

      it('detects a flipped byte anywhere', async () => {
        const path = await saved(kind, `${kind}-flip.snap`);
        const original = await readFile(path);
        const size = original.length;
        // The magic, version, kind, count, checkpoint, checksum, section table, first section, padding and last byte.
        for (const at of [0, 9, 13, 17, 25, 45, 80, 200, Math.floor(size / 2), size - 1]) {
          const damaged = Buffer.from(original);
          damaged[at] ^= 0x10;
          await writeFile(path, damaged);
          await expect(loaders[kind](path), `byte ${at}`).rejects.toBeInstanceOf(IntegrityError);
        }
      });

      it('detects truncation and trailing bytes', async () => {
        const path = await saved(kind, `${kind}-trunc.snap`);
        const size = (await stat(path)).size;
        for (const length of [size - 1, size - 8, Math.floor(size / 2), 71, 10, 0]) {
          await truncate(path, length);
          await expect(loaders[kind](path), `length ${length}`).rejects.toBeInstanceOf(IntegrityError);
          await saved(kind, `${kind}-trunc.snap`);
        }
        const bytes = await readFile(path);
        await writeFile(path, Buffer.concat([bytes, Buffer.alloc(8)]));
        await expect(loaders[kind](path)).rejects.toBeInstanceOf(IntegrityError);
      });
    });
  }

  it('rejects wrong magic, a newer version and another index kind', async () => {
    const path = await saved('mih', 'kinds.snap');
    const original = await readFile(path);
    const badMagic = Buffer.from(original);
    badMagic.write('NOTASNAP', 0, 'latin1');
    await writeFile(path, badMagic);
    await expect(MultiIndexHashIndex.load(path)).rejects.toThrow(/bad magic/);

    const newer = Buffer.from(original);
    newer.writeUInt32LE(2, 8);
    await writeFile(path, newer);
    await expect(MultiIndexHashIndex.load(path)).rejects.toThrow(/version 2/);

    await writeFile(path, original);
    await expect(LinearIndex.load(path)).rejects.toBeInstanceOf(IntegrityError);
    await expect(ExactIndex.load(path)).rejects.toBeInstanceOf(IntegrityError);
    const { index } = await MultiIndexHashIndex.load(path);
    expect(pairs(index.radius(packed, 0))).toEqual(['0:0']);
  });

  it('a file that is not a snapshot at all is an IntegrityError', async () => {
    const path = join(dir, 'garbage.snap');
    await writeFile(path, randomHashes(10, prng(1)));
    await expect(LinearIndex.load(path)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('a checksum-valid snapshot whose sections do not fit the index is rejected', async () => {
    const path = join(dir, 'misfit.snap');
    await writeSnapshot(path, { kind: SnapshotKind.Linear256, entryCount: 3, checkpoint: 0, params: [], sections: [new Uint32Array(8), new Uint32Array(1)] });
    await expect(LinearIndex.load(path)).rejects.toBeInstanceOf(IntegrityError);
    await writeSnapshot(path, { kind: SnapshotKind.Linear256, entryCount: 1, checkpoint: -5n, params: [7], sections: [new Uint32Array(8), new Uint32Array(1)] });
    const raw = await readSnapshot(path, [SnapshotKind.Linear256], (_i, n) => new Uint8Array(n));
    expect(raw.checkpoint).toBe(-5n);
    expect(raw.params).toEqual([7]);
  });

  it('overwrites an existing snapshot atomically', async () => {
    const path = await saved('linear', 'replace.snap');
    const index = new LinearIndex();
    index.add(77, packed, 0);
    await index.save(path, 10n);
    const { index: loaded, checkpoint } = await LinearIndex.load(path);
    expect(checkpoint).toBe(10n);
    expect(loaded.size).toBe(1);
  });
});
