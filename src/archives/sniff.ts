import type { ArchiveFormat } from './archive-entry.js';

/** Bytes sniffArchive needs to recognise every format (a tar header block). */
export const ARCHIVE_SNIFF_BYTES = 512;

const SEVEN_ZIP = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];

/**
 * The archive format of a file from its first bytes (magic numbers, never the name): ZIP local header or empty-archive
 * end record, gzip, 7z signature, tar (ustar magic, or an old-style header whose checksum is right). Give it at least
 * ARCHIVE_SNIFF_BYTES bytes to recognise tar.
 */
export function sniffArchive(firstBytes: Uint8Array): ArchiveFormat | null {
  const b = firstBytes;
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b) {
    if ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6) || (b[2] === 7 && b[3] === 8)) return 'zip';
  }
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8) return 'gzip';
  if (b.length >= 6 && SEVEN_ZIP.every((byte, i) => b[i] === byte)) return '7z';
  if (isTarHeader(b)) return 'tar';
  return null;
}

/** Whether an entry's first bytes look like an archive the reader can open (for the ingest pipeline's recursion). */
export function looksLikeArchive(firstBytes: Uint8Array): boolean {
  return sniffArchive(firstBytes) !== null;
}

function isTarHeader(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  const magic = String.fromCharCode(...b.subarray(257, 263));
  const ustar = magic === 'ustar\0' || magic === 'ustar ';
  // The checksum: the sum of the header's bytes with the checksum field read as spaces, stored in octal.
  const field = String.fromCharCode(...b.subarray(148, 156)).replace(/[\0 ]+$/g, '').trim();
  if (!/^[0-7]{1,8}$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  if (parseInt(field, 8) !== sum) return false;
  // A valid checksum alone is weak evidence for an old (pre-POSIX) header: ask for a name too.
  return ustar || b[0] !== 0;
}
