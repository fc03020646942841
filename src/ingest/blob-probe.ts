import type { BlobStore } from '../storage/blob-store.js';
import { HEAD_BYTES } from '../signals/stored-blobs.js';
import type { MediaTools, StoredImageAnalysis } from './media-tools.js';
import type { SubmittedFile } from './submission-service.js';

/** Stored files up to this size are read whole; larger ones (videos, archives) stream from the store. */
export const WHOLE_READ_BYTES = 32 * 1024 * 1024;

/** A stored blob as the job sees it: its first bytes to sniff, and the analysis of the image it may be. */
export interface BlobProbe {
  /** The first HEAD_BYTES of the plaintext (fewer when the blob is shorter, or when `mime` is given). */
  readonly head: Buffer;
  /**
   * The type sniffed from the whole plaintext where the blob was analysed; the head is then only long enough to tell
   * an archive (StoredAnalysis.head).
   */
  readonly mime?: string;
  /** Signals, EXIF and the stored renditions' addresses: decodes the image once (asked only of images). */
  analyse(): Promise<StoredImageAnalysis>;
  close(): void;
}

/** Whether the media tools analyse this stored file where it is stored (a hash worker with the local store). */
export function analysableWhereStored(tools: MediaTools, file: SubmittedFile, decodeLimit: number): boolean {
  return tools.analyseStored !== undefined && !!file.blob_sha256 && !!file.md5 && !!file.sha1 && !!file.size && file.size <= Math.min(WHOLE_READ_BYTES, decodeLimit);
}

/**
 * The blob's head and analysis. Where the media tools analyse blobs where they are stored (a local store, read and
 * written by a hash worker), one call does both for any blob the job may decode; otherwise the blob is read here
 * (openBlob) and its bytes handed to analyse, and the preview stored (the thumbnail sealed) from here.
 */
export async function probeBlob(tools: MediaTools, blobs: BlobStore, file: SubmittedFile, decodeLimit: number): Promise<BlobProbe> {
  const sha256 = file.blob_sha256!;
  if (analysableWhereStored(tools, file, decodeLimit)) {
    const { head, analysis } = await tools.analyseStored!(sha256, { md5: file.md5!, sha1: file.sha1!, sha256 });
    return {
      head,
      ...(analysis ? { mime: analysis.signals.mime } : {}),
      analyse: async () => {
        if (!analysis) throw new Error(`blob ${sha256} was not analysed (its head is an archive's)`);
        return analysis;
      },
      close: () => undefined,
    };
  }
  // One decrypting read of the blob: the head to sniff, and for an image the rest of the same stream.
  const blob = await openBlob(blobs, sha256, file.size);
  return {
    head: blob.head,
    analyse: async () => {
      const known = file.md5 && file.sha1 ? { md5: file.md5, sha1: file.sha1, sha256 } : undefined;
      const { signals, exif, renditions } = await tools.analyse(await blob.rest(), known);
      if (signals.pdq === null || renditions === null) return { signals, exif, renditions: null };
      // The thumbnail is sealed for the database (kept with the item's row), the preview stored.
      const preview = renditions.preview ? await blobs.put(renditions.preview) : null;
      return { signals, exif, renditions: { thumbnail: blobs.sealInline(renditions.thumbnail), preview: preview?.sha256 ?? null } };
    },
    close: () => blob.close(),
  };
}

interface OpenBlob {
  /** The first HEAD_BYTES of the plaintext (fewer when the blob is shorter). */
  readonly head: Buffer;
  /** All of the plaintext: the head and the rest of the same stream, checked against the blob's SHA-256 at its end. */
  rest(): Promise<Buffer>;
  close(): void;
}

/**
 * Opens a blob for sniffing and reading. Up to WHOLE_READ_BYTES it is read and verified whole (most files are
 * images that are read whole anyway; a small video or archive then costs one extra decrypting read when it is copied
 * to scratch). Larger blobs: the head is read, and the rest from the same decrypting stream only when asked for.
 */
async function openBlob(blobs: BlobStore, sha256: string, storedSize: number | null): Promise<OpenBlob> {
  // Most files are small: read and verified whole in one call.
  if (storedSize !== null && storedSize <= WHOLE_READ_BYTES) {
    const bytes = await blobs.getBuffer(sha256);
    return { head: bytes.subarray(0, HEAD_BYTES), rest: async () => bytes, close: () => undefined };
  }
  const stream = await blobs.get(sha256);
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  try {
    const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    while (size < HEAD_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      chunks.push(next.value);
      size += next.value.length;
    }
    const head = Buffer.concat(chunks);
    return {
      head: head.subarray(0, HEAD_BYTES),
      async rest() {
        const all: Buffer[] = [head];
        if (!ended) {
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) all.push(next.value);
          ended = true;
        }
        return all.length === 1 ? head : Buffer.concat(all);
      },
      close: () => stream.destroy(),
    };
  } catch (error) {
    stream.destroy();
    throw error;
  }
}
