import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import type { IngestLimits } from '../media/limits.js';
import { RATIO_GRACE_BYTES } from '../media/limits.js';
import type { ArchiveItem, ArchiveProblemCode } from './archive-entry.js';
import { ArchiveBudget, EntryPump } from './entry-pump.js';
import { decodeZipName, displayName, normaliseEntryPath } from './entry-names.js';
import { problem, reasonOf } from './problems.js';

/**
 * ZIP through yauzl: the central directory is read lazily one record at a time, names are decoded here (decodeStrings
 * false, so no name can make yauzl give up on the whole archive), and entry data is decompressed only when opened.
 */

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** versionMadeBy hosts whose external attributes carry a Unix mode in the high 16 bits: Unix, OS X. */
const UNIX_HOSTS = new Set([3, 19]);
const DOS_DIRECTORY = 0x10;

/** Sorted, disjoint byte ranges of the entries seen so far, to refuse entries whose data overlap (a known bomb). */
class Ranges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Adds [start, end) unless it overlaps a range already present; returns whether it was added. */
  add(start: number, end: number): boolean {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && this.ends[lo - 1] > start) return false;
    if (lo < this.starts.length && this.starts[lo] < end) return false;
    this.starts.splice(lo, 0, start);
    this.ends.splice(lo, 0, end);
    return true;
  }
}

export async function* readZip(path: string, limits: IngestLimits): AsyncGenerator<ArchiveItem, void, undefined> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    yield problem('', 'corrupt', `not a readable ZIP archive (truncated or corrupt?): ${reasonOf(error)}`);
    return;
  }
  const budget = new ArchiveBudget(limits.maxTotalUncompressedBytes);
  const ranges = new Ranges();
  let declaredTotal = 0;
  let seen = 0;
  try {
    const entries = zip.eachEntry();
    while (true) {
      let entry: Entry;
      try {
        const next = await entries.next();
        if (next.done) return;
        entry = next.value;
      } catch (error) {
        yield problem('', 'corrupt', `the ZIP central directory is corrupt after ${seen} entries: ${reasonOf(error)}`);
        return;
      }
      seen++;
      if (seen > limits.maxArchiveEntries) {
        yield problem('', 'too_many_entries', `more than ${limits.maxArchiveEntries} entries: the rest are not read`);
        return;
      }
      const raw = entry.fileNameRaw ?? (entry.fileName as unknown as Buffer);
      const decoded = decodeZipName(raw, entry.generalPurposeBitFlag, entry.extraFields);
      const names = { nameEncoding: decoded.encoding, rawNameHex: decoded.rawHex };
      const refuse = (code: ArchiveProblemCode, reason: string, path = displayName(decoded.name)) => problem(path, code, reason, names);

      const mode = UNIX_HOSTS.has(entry.versionMadeBy >> 8) ? entry.externalFileAttributes >>> 16 : 0;
      const type = mode & S_IFMT;
      const isDirectory = decoded.name.endsWith('/') || type === S_IFDIR || (mode === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0 && entry.uncompressedSize === 0);
      if (isDirectory) continue;

      const normalised = normaliseEntryPath(decoded.name);
      if (!normalised.ok) {
        yield refuse(normalised.code, normalised.reason);
        continue;
      }
      const at = normalised.path;
      if (type === S_IFLNK) {
        yield refuse('link', 'symbolic link', at);
        continue;
      }
      if (type !== 0 && type !== S_IFREG) {
        yield refuse('special_file', `not a regular file (mode ${mode.toString(8)})`, at);
        continue;
      }
      if ((entry.generalPurposeBitFlag & 0x41) !== 0 || entry.compressionMethod === 99) {
        yield refuse('encrypted', 'encrypted entry', at);
        continue;
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        yield refuse('unsupported', `unsupported compression method ${entry.compressionMethod}`, at);
        continue;
      }
      const size = entry.uncompressedSize;
      if (size > limits.maxFileBytes) {
        yield refuse('too_large', `declared size ${size} bytes is over the limit of ${limits.maxFileBytes}`, at);
        continue;
      }
      if (size > RATIO_GRACE_BYTES && size / Math.max(1, entry.compressedSize) > limits.maxCompressionRatio) {
        yield refuse('ratio', `declared compression ratio ${Math.round(size / Math.max(1, entry.compressedSize))}:1 is over the limit of ${limits.maxCompressionRatio}:1 (a decompression bomb?)`, at);
        continue;
      }
      if (declaredTotal + size > limits.maxTotalUncompressedBytes) {
        yield refuse('total_size', `the archive's entries together declare more than ${limits.maxTotalUncompressedBytes} bytes`, at);
        continue;
      }
      // Local header (30 bytes at least) plus data: entries whose ranges overlap share compressed data (a ZIP bomb).
      const start = entry.relativeOffsetOfLocalHeader;
      if (!ranges.add(start, start + 30 + entry.compressedSize)) {
        yield refuse('overlapping', 'entry data overlaps another entry (a ZIP bomb?)', at);
        continue;
      }
      declaredTotal += size;

      const pump = new EntryPump(
        async () => zip.openReadStreamPromise(entry),
        { path: at, declaredSize: size, compressedSize: entry.compressedSize, maxFileBytes: limits.maxFileBytes, maxRatio: limits.maxCompressionRatio, exact: false, crc32: entry.crc32 },
        budget,
        'stop',
      );
      yield {
        kind: 'entry',
        path: at,
        size,
        compressedSize: entry.compressedSize,
        mtime: safeDate(() => entry.getLastModDate({ timezone: 'UTC' })),
        nameEncoding: decoded.encoding,
        ...(decoded.rawHex ? { rawNameHex: decoded.rawHex } : {}),
        open: () => pump.open(),
      };
      await pump.settle();
      if (pump.failure) yield problem(at, pump.failure.code, pump.failure.message, names);
      if (budget.exceeded) {
        yield problem('', 'total_size', `the archive decompressed to more than ${limits.maxTotalUncompressedBytes} bytes: the rest is not read`);
        return;
      }
    }
  } finally {
    zip.close();
  }
}

function safeDate(fn: () => Date): Date | null {
  try {
    const date = fn();
    return Number.isNaN(date.getTime()) ? null : date;
  } catch {
    return null;
  }
}
