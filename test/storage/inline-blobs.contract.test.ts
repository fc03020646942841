import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError } from '../../src/core/errors.js';
import { keepInline, RenditionReader } from '../../src/storage/inline-blobs.js';
import { LocalBlobFiles } from '../../src/storage/local-blob-files.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { databaseAdapters, freshDatabasePerTest } from '../support/databases.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`inline blobs (thumbnails kept in the database): ${adapter.name}`, () => {
    const fresh = freshDatabasePerTest(adapter);
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-inline-'));
    let store: LocalBlobStore;

    beforeAll(async () => {
      store = await LocalBlobStore.open({ root: join(dir, 'blobs'), keyring: createKeyring(generateMasterKey()) });
    });
    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps a sealed blob with the transaction that names it, once, and reads it back verified', async () => {
      const reader = new RenditionReader(fresh.database.db, store);
      const bytes = randomBytes(6000);
      // Sealed on a hash worker's side (LocalBlobFiles) and opened with the store's keys.
      const sealed = new LocalBlobFiles(store.localAccess()).sealInline(bytes);
      await fresh.database.db.transaction().execute(async (tx) => {
        await keepInline(tx, sealed, 1000);
        await keepInline(tx, store.sealInline(bytes), 2000);
      });
      const rows = await fresh.database.db.selectFrom('inline_blobs').selectAll().execute();
      expect(rows.map((r) => ({ sha256: r.sha256, size: Number(r.size), at: Number(r.created_at) }))).toEqual([{ sha256: sealed.sha256, size: 6000, at: 1000 }]);
      expect(Buffer.from(rows[0].envelope).includes(bytes.subarray(0, 32))).toBe(false);
      expect((await reader.read(sealed.sha256)).equals(bytes)).toBe(true);
      expect((await readAll(await reader.open(sealed.sha256))).equals(bytes)).toBe(true);
      // Nothing of it in the blob store.
      expect(await store.has(sealed.sha256)).toBe(false);
    });

    it('writes nothing when the transaction rolls back', async () => {
      const sealed = store.sealInline(randomBytes(100));
      await expect(
        fresh.database.db.transaction().execute(async (tx) => {
          await keepInline(tx, sealed, 1);
          throw new Error('the item could not be recorded');
        }),
      ).rejects.toThrow('could not be recorded');
      await expect(new RenditionReader(fresh.database.db, store).read(sealed.sha256)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('falls back to the blob store for renditions stored there, and refuses altered rows', async () => {
      const reader = new RenditionReader(fresh.database.db, store);
      const older = Buffer.from('a thumbnail stored as a file before inline blobs');
      const { sha256 } = await store.put(older);
      expect((await reader.read(sha256)).equals(older)).toBe(true);
      expect((await readAll(await reader.open(sha256))).equals(older)).toBe(true);

      const sealed = store.sealInline(randomBytes(3000));
      await keepInline(fresh.database.db, sealed, 5);
      const altered = Buffer.from(sealed.envelope);
      altered[altered.length - 20] ^= 0x10;
      await fresh.database.db.updateTable('inline_blobs').set({ envelope: altered }).where('sha256', '=', sealed.sha256).execute();
      await expect(reader.read(sealed.sha256)).rejects.toBeInstanceOf(IntegrityError);
      await expect(reader.open(sealed.sha256)).rejects.toBeInstanceOf(IntegrityError);
    });
  });
}
