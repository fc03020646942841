import type { Readable } from 'node:stream';
import { InvalidError } from '../core/errors.js';
import type { IngestLimits } from '../media/limits.js';

/** Archive formats recognised from their bytes. A gzip stream is read as tar.gz. */
export type ArchiveFormat = 'zip' | 'tar' | 'gzip' | '7z';

/** How an entry's name was turned into text. */
export type NameEncoding =
  /** Valid UTF-8 (ZIP with the UTF-8 flag or a plain ASCII name, tar, pax, 7z). */
  | 'utf-8'
  /** ZIP Info-ZIP Unicode Path extra field (0x7075) whose CRC matched the stored name. */
  | 'utf-8-extra-field'
  /** ZIP without the UTF-8 flag whose name bytes are not valid UTF-8: IBM code page 437, the ZIP default. */
  | 'cp437'
  /** Invalid UTF-8 or control characters: the bad bytes became U+FFFD; rawNameHex holds the original bytes. */
  | 'lossy';

/** Why an entry (or the archive, path '') was refused. */
export type ArchiveProblemCode =
  | 'absolute_path'
  | 'path_traversal'
  | 'invalid_name'
  | 'link'
  | 'special_file'
  | 'encrypted'
  | 'unsupported'
  | 'too_large'
  | 'ratio'
  | 'total_size'
  | 'too_many_entries'
  | 'overlapping'
  | 'duplicate_name'
  | 'corrupt'
  | 'unreadable'
  | 'not_read';

export interface ArchiveEntry {
  readonly kind: 'entry';
  /** Relative, '/'-separated, NFC, no '.', '..' or empty segments. */
  readonly path: string;
  /** Declared uncompressed size in bytes (the stream is cut, with an error, if it passes this). */
  readonly size: number;
  /** Compressed size where the format records one per entry (ZIP). */
  readonly compressedSize?: number;
  readonly mtime: Date | null;
  readonly nameEncoding: NameEncoding;
  /** The stored name's bytes in hex, when the name was not plain UTF-8 (cp437, lossy). */
  readonly rawNameHex?: string;
  /**
   * The entry's content, decompressed as it is read, with the limits enforced. Call at most once, and read the
   * stream to its end (or destroy it) before asking the reader for the next item: a stream left unread then is cut.
   * When the stream fails a limit it errors with an ArchiveEntryError, and the reader's next item is a problem
   * record for the same path.
   */
  open(): Readable;
}

export interface ArchiveProblem {
  readonly kind: 'problem';
  /** The entry's normalised path where one could be made, its cleaned raw name otherwise; '' for the archive itself. */
  readonly path: string;
  readonly code: ArchiveProblemCode;
  /** Human-readable reason. */
  readonly reason: string;
  readonly nameEncoding?: NameEncoding;
  readonly rawNameHex?: string;
}

export type ArchiveItem = ArchiveEntry | ArchiveProblem;

export interface ArchiveReadOptions {
  /** Limits (defaults from media/limits.ts). */
  readonly limits?: Partial<IngestLimits>;
  /** Read as this format instead of sniffing the bytes. */
  readonly format?: ArchiveFormat;
  /** The 7-Zip program for 7z archives; default: the first of 7zz, 7z, 7za on PATH. null: 7z archives are refused. */
  readonly sevenZipPath?: string | null;
}

/** The error an entry's stream fails with when it breaks a limit or the archive is corrupt. */
export class ArchiveEntryError extends InvalidError {
  readonly code: ArchiveProblemCode;
  constructor(code: ArchiveProblemCode, message: string, details?: Record<string, unknown>) {
    super(message, { ...details, code });
    this.code = code;
  }
}
