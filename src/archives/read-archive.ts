import { open } from 'node:fs/promises';
import { resolveIngestLimits } from '../media/limits.js';
import type { ArchiveFormat, ArchiveItem, ArchiveReadOptions } from './archive-entry.js';
import { problem, reasonOf } from './problems.js';
import { readSevenZip } from './sevenzip-reader.js';
import { ARCHIVE_SNIFF_BYTES, sniffArchive } from './sniff.js';
import { readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

/**
 * Reads an archive file entry by entry, streaming: ZIP, tar, tar.gz and 7z, the format sniffed from the bytes.
 *
 * Yields an `entry` for every regular file that passes the checks and a `problem` for every entry refused (absolute
 * or '..' paths, links, devices, encrypted entries, sizes or ratios over the limits, too many entries), for an entry
 * whose stream failed, and for the archive itself (path '') when it is corrupt, truncated or not an archive.
 * Directories are skipped silently. Bad input never throws out of the generator: it ends with a problem record.
 * Nested archives are not expanded here: the caller checks entries with looksLikeArchive() and recurses, bounded by
 * maxArchiveDepth.
 *
 * Protocol: read or destroy each entry's stream before asking for the next item (see ArchiveEntry.open). Stopping
 * early (break out of for-await) releases the file and any child process.
 */
export async function* readArchive(source: { readonly path: string }, options: ArchiveReadOptions = {}): AsyncGenerator<ArchiveItem, void, undefined> {
  const limits = resolveIngestLimits(options.limits);
  let format: ArchiveFormat | null | undefined = options.format;
  if (!format) {
    let head: Buffer;
    try {
      const handle = await open(source.path, 'r');
      try {
        head = Buffer.alloc(ARCHIVE_SNIFF_BYTES);
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        head = head.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      yield problem('', 'unreadable', `cannot read the archive: ${reasonOf(error)}`);
      return;
    }
    format = sniffArchive(head);
    if (!format) {
      yield problem('', 'unsupported', 'not an archive this reader knows (ZIP, tar, tar.gz, 7z), judged by its bytes');
      return;
    }
  }
  switch (format) {
    case 'zip':
      yield* readZip(source.path, limits);
      return;
    case 'tar':
      yield* readTar(source.path, false, limits);
      return;
    case 'gzip':
      yield* readTar(source.path, true, limits);
      return;
    case '7z':
      yield* readSevenZip(source.path, limits, options.sevenZipPath);
      return;
  }
}
