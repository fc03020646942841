import { createReadStream } from 'node:fs';
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import type { IngestLimits } from '../media/limits.js';
import { RATIO_GRACE_BYTES } from '../media/limits.js';
import { ArchiveEntryError, type ArchiveItem, type ArchiveProblemCode, type NameEncoding } from './archive-entry.js';
import { ArchiveBudget, EntryPump, type EntryBody } from './entry-pump.js';
import { decodeUtf8Name, displayName, normaliseEntryPath } from './entry-names.js';
import { problem, reasonOf } from './problems.js';

/**
 * tar and tar.gz through tar-stream, one pass over the file: each entry's bytes are consumed (handed to the consumer
 * or drained) before the next header is read. For tar.gz the whole gzip stream is watched: decompressing past the
 * archive's byte budget, or at a ratio above the limit, stops the archive.
 */

/** Counts bytes passing through; the check may fail the stream. */
class Meter extends Transform {
  bytes = 0;
  constructor(private readonly check?: (bytes: number) => Error | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const error = this.check?.(this.bytes);
    if (error) callback(error);
    else callback(null, chunk);
  }
}

interface TarHeader extends Omit<Header, 'type'> {
  type: Header['type'] | string | null;
}

export async function* readTar(path: string, gzipped: boolean, limits: IngestLimits): AsyncGenerator<ArchiveItem, void, undefined> {
  const budget = new ArchiveBudget(limits.maxTotalUncompressedBytes);
  // latin1 keeps the header's name bytes recoverable; they are decoded as UTF-8 below. (pax paths are UTF-8 already.)
  const tar = extract({ filenameEncoding: 'latin1' } as never);
  const file = createReadStream(path);
  const compressed = new Meter();
  let streamError: Error | undefined;
  const done = (error: Error | null | undefined) => {
    if (error) streamError ??= error;
  };
  if (gzipped) {
    const decompressed = new Meter((bytes) => {
      if (bytes > limits.maxTotalUncompressedBytes) {
        return new ArchiveEntryError('total_size', `the archive decompressed to more than ${limits.maxTotalUncompressedBytes} bytes`);
      }
      if (bytes > RATIO_GRACE_BYTES && bytes / Math.max(1, compressed.bytes) > limits.maxCompressionRatio) {
        return new ArchiveEntryError('ratio', `the gzip stream's compression ratio is above ${limits.maxCompressionRatio}:1 (a decompression bomb?)`);
      }
      return undefined;
    });
    pipeline(file, compressed, createGunzip(), decompressed, tar as unknown as NodeJS.WritableStream, done);
  } else {
    pipeline(file, tar as unknown as NodeJS.WritableStream, done);
  }

  const entries = (tar as AsyncIterable<EntryBody & { header: TarHeader }>)[Symbol.asyncIterator]();
  let seen = 0;
  try {
    while (true) {
      let next: IteratorResult<EntryBody & { header: TarHeader }>;
      try {
        next = await entries.next();
      } catch (error) {
        yield archiveFailure(streamError ?? error, seen);
        return;
      }
      if (next.done) {
        if (streamError) yield archiveFailure(streamError, seen);
        return;
      }
      const stream = next.value;
      const header = stream.header;
      seen++;
      if (seen > limits.maxArchiveEntries) {
        yield problem('', 'too_many_entries', `more than ${limits.maxArchiveEntries} entries: the rest are not read`);
        return;
      }
      const { name, encoding, rawHex } = headerName(header);
      const names = { nameEncoding: encoding, rawNameHex: rawHex };
      const refusal = refuse(header, name, limits);
      const at = refusal === 'skip' ? displayName(name) : refusal ? refusal.path : (normaliseEntryPath(name) as { path: string }).path;
      const size = header.size ?? 0;
      const pump = new EntryPump(() => stream, { path: at, declaredSize: size, maxFileBytes: Infinity, maxRatio: Infinity, exact: true }, budget, 'drain');
      if (refusal && refusal !== 'skip') {
        yield problem(refusal.path, refusal.code, refusal.reason, names);
      } else if (!refusal) {
        yield {
          kind: 'entry',
          path: at,
          size,
          mtime: header.mtime instanceof Date && !Number.isNaN(header.mtime.getTime()) ? header.mtime : null,
          nameEncoding: encoding,
          ...(rawHex ? { rawNameHex: rawHex } : {}),
          open: () => pump.open(),
        };
      }
      await pump.settle();
      if (pump.failure && refusal === undefined) yield problem(at, pump.failure.code, pump.failure.message, names);
      if (budget.exceeded || streamError) {
        const budgetError = new ArchiveEntryError('total_size', `the archive decompressed to more than ${limits.maxTotalUncompressedBytes} bytes`);
        yield archiveFailure(budget.exceeded ? budgetError : streamError, seen);
        return;
      }
    }
  } finally {
    file.destroy();
    tar.destroy();
  }
}

function archiveFailure(error: unknown, seen: number): ArchiveItem {
  if (error instanceof ArchiveEntryError) return problem('', error.code, `${error.message}: the rest is not read`);
  return problem('', 'corrupt', `the archive is truncated or corrupt after ${seen} entries: ${reasonOf(error)}`);
}

function headerName(header: TarHeader): { name: string; encoding: NameEncoding; rawHex?: string } {
  const pax = header.pax as Record<string, string> | null | undefined;
  if (pax && typeof pax.path === 'string') {
    // pax paths are UTF-8 by definition, decoded by tar-stream (bad bytes are already U+FFFD).
    const decoded = decodeUtf8Name(Buffer.from(pax.path, 'utf8'));
    return { name: decoded.name, encoding: pax.path.includes('\ufffd') ? 'lossy' : decoded.encoding, rawHex: decoded.rawHex };
  }
  const decoded = decodeUtf8Name(Buffer.from(header.name, 'latin1'));
  return { name: decoded.name, encoding: decoded.encoding, rawHex: decoded.rawHex };
}

type Refusal = 'skip' | { path: string; code: ArchiveProblemCode; reason: string } | undefined;

function refuse(header: TarHeader, name: string, limits: IngestLimits): Refusal {
  if (header.type === 'directory') return 'skip';
  const normalised = normaliseEntryPath(name);
  if (!normalised.ok) return { path: displayName(name), code: normalised.code, reason: normalised.reason };
  const path = normalised.path;
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      break;
    case 'symlink':
      return { path, code: 'link', reason: 'symbolic link' };
    case 'link':
      return { path, code: 'link', reason: 'hard link' };
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return { path, code: 'special_file', reason: `not a regular file (${header.type})` };
    default:
      return { path, code: 'unsupported', reason: `unsupported tar entry type ${String(header.type)}` };
  }
  if ((header.size ?? 0) > limits.maxFileBytes) {
    return { path, code: 'too_large', reason: `declared size ${header.size} bytes is over the limit of ${limits.maxFileBytes}` };
  }
  return undefined;
}
