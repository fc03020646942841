import { Readable } from 'node:stream';
import { QueryTemplate } from '../db/query-template.js';
import type { Db, Executor } from '../db/schema.js';
import type { BlobStore } from './blob-store.js';
import type { SealedBlob } from './envelope.js';

/**
 * Small blobs kept in the database (table `inline_blobs`): the redacted thumbnails. Each is sealed in the blob
 * store's envelope format under its keys (BlobStore.sealInline; a hash worker's LocalBlobFiles.sealInline) and
 * inserted in the transaction of the row that names it, so it is as durable as that row and costs no file of its
 * own (on a local store a file is a creation, two fsyncs and a link, which for a few kilobytes cost more than the
 * bytes). Content-addressed like the store: the same bytes are kept once. Blobs stored before this table existed
 * are still read from the blob store.
 */
const INSERT = new QueryTemplate((db, v: { sha256: string; envelope: Uint8Array; size: number; created_at: number }) =>
  db.insertInto('inline_blobs').values({ sha256: v.sha256, envelope: v.envelope, size: v.size, created_at: v.created_at }).onConflict((oc) => oc.column('sha256').doNothing()),
);
const BY_SHA256 = new QueryTemplate((db, v: { sha256: string }) => db.selectFrom('inline_blobs').select('envelope').where('sha256', '=', v.sha256));

/** Keeps a sealed blob in the caller's transaction (nothing when the same bytes are kept already). */
export async function keepInline(tx: Executor, blob: SealedBlob, now: number): Promise<void> {
  await INSERT.run(tx, { sha256: blob.sha256, envelope: blob.envelope, size: blob.size, created_at: now });
}

/** Reads renditions wherever they are kept: in the database when inline, otherwise in the blob store. */
export class RenditionReader {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
  ) {}

  /** The verified plaintext as a stream (NotFoundError when neither holds it; IntegrityError when altered). */
  async open(sha256: string): Promise<Readable> {
    const row = await BY_SHA256.executeTakeFirst(this.db, { sha256 });
    if (row) return Readable.from([this.blobs.openInline(sha256, row.envelope)]);
    return this.blobs.get(sha256);
  }

  /** The verified plaintext, whole. */
  async read(sha256: string): Promise<Buffer> {
    const row = await BY_SHA256.executeTakeFirst(this.db, { sha256 });
    return row ? this.blobs.openInline(sha256, row.envelope) : this.blobs.getBuffer(sha256);
  }
}
