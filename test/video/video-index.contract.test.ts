import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import { AccessPolicy } from '../../src/auth/policy.js';
import type { Database } from '../../src/db/database.js';
import { IndexCatalog } from '../../src/matching/index-catalog.js';
import { MatchService } from '../../src/matching/match-service.js';
import { SignalStore } from '../../src/matching/signal-store.js';
import { VideoMatchService } from '../../src/matching/video-match-service.js';
import { databaseAdapters, openMigrated } from '../support/databases.js';

const quiet = { info: () => undefined, warn: () => undefined };
const operator = contextFor(systemActor('test'));

/** `n` hashes far apart from each other (random), and a copy of each with `bits` bits flipped. */
function near(hash: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(hash);
  for (let i = 0; i < bits; i++) out[i] ^= 1;
  return out;
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`video frames in the PDQ index: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let store: SignalStore;
    let snapshots: string;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      store = new SignalStore(database.db, database.dialect);
      snapshots = mkdtempSync(join(tmpdir(), 'ariadne-vsnap-'));
    });

    afterEach(async () => {
      await database.close();
      await drop();
      rmSync(snapshots, { recursive: true, force: true });
    });

    async function item(kind: 'image' | 'video', n: number): Promise<number> {
      const row = await database.db
        .insertInto('media_items')
        .values({ sha256: randomBytes(32).toString('hex'), sha1: '', md5: '', size: 1, mime: kind === 'video' ? 'video/mp4' : 'image/png', kind, created_at: n })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    }

    it('serves frame hashes with their video and time across snapshot reloads, catch-up and removal; video and image queries', async () => {
      const frames = Array.from({ length: 10 }, () => new Uint8Array(randomBytes(32)));
      const video = await item('video', 1);
      const image = await item('image', 2);
      const ids = await database.db.transaction().execute((tx) =>
        store.addEntries(tx, [
          ...frames.map((hash, i) => ({ signal: 'vpdq' as const, hash, quality: 100, variant: 'frame', frameMs: i * 1000, mediaId: video })),
          { signal: 'pdq' as const, hash: near(frames[4], 3), quality: 100, mediaId: image },
        ]),
      );
      let catalog = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: quiet });
      expect(catalog.pdq.size).toBe(11);
      expect(catalog.frames.size).toBe(10);
      await catalog.saveSnapshots();

      // Reloaded from the snapshot, the frame table comes from the database again.
      catalog = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: quiet });
      expect(catalog.frames.size).toBe(10);
      expect(catalog.frames.timestampAt(catalog.frames.find(ids[7]))).toBe(7000);
      const matching = new MatchService(catalog, store, new AccessPolicy());
      const hits = await matching.match(operator, { pdq: [Buffer.from(near(frames[7], 2)).toString('hex')] });
      expect(hits).toEqual([expect.objectContaining({ signal: 'vpdq', entryVariant: 'frame', frameMs: 7000, distance: 2, item: expect.objectContaining({ id: video, kind: 'video' }) })]);

      // A second video: the first 6 frames of the first, slightly changed; added after the snapshot (catch-up).
      const copy = await item('video', 3);
      await database.db.transaction().execute((tx) => store.addEntries(tx, frames.slice(0, 6).map((f, i) => ({ signal: 'vpdq' as const, hash: near(f, 5), quality: 100, variant: 'frame', frameMs: i * 1000, mediaId: copy }))));
      await catalog.catchUp();
      expect(catalog.frames.size).toBe(16);
      const videos = new VideoMatchService(catalog, store, matching, new AccessPolicy());
      const report = await videos.match(operator, { mediaId: copy });
      expect(report.usableFrames).toBe(6);
      expect(report.videos).toHaveLength(1);
      expect(report.videos[0]).toMatchObject({ relation: 'query-in-target', queryShare: 1, targetShare: 0.6, offsetMs: 0 });
      expect(report.frameHits).toEqual([expect.objectContaining({ signal: 'vpdq', entryVariant: 'plain', item: expect.objectContaining({ id: image }), queryFrameMs: 4000 })]);
      // With a 60 % threshold the two are the same video.
      expect((await videos.match(operator, { mediaId: copy, threshold: 0.6 })).videos[0].relation).toBe('same');

      // Removal follows through the change log.
      await database.db.transaction().execute((tx) => store.removeEntries(tx, ids.slice(0, 10)));
      await catalog.catchUp();
      expect(catalog.frames.size).toBe(6);
      expect((await videos.match(operator, { mediaId: copy })).videos).toEqual([]);
    });
  });
}
