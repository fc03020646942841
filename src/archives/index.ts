export { ArchiveEntryError } from './archive-entry.js';
export type { ArchiveEntry, ArchiveFormat, ArchiveItem, ArchiveProblem, ArchiveProblemCode, ArchiveReadOptions, NameEncoding } from './archive-entry.js';
export { crc32, decodeUtf8Name, decodeZipName, normaliseEntryPath } from './entry-names.js';
export { readArchive } from './read-archive.js';
export { findSevenZip } from './sevenzip-reader.js';
export { ARCHIVE_SNIFF_BYTES, looksLikeArchive, sniffArchive } from './sniff.js';
