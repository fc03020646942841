import { InvalidError } from '../core/errors.js';

/**
 * The limits that guard ingest against hostile input (decompression bombs, archive bombs, endless nesting), in one
 * place. Every reader takes a `Partial<IngestLimits>` and fills the rest from INGEST_LIMIT_DEFAULTS with
 * resolveIngestLimits(), so a setting changed in configuration reaches the image decoder, the thumbnailer and the
 * archive reader alike.
 */
export interface IngestLimits {
  /** Images with more pixels than this are refused from their header, before decoding (sharp's default, 16383²). */
  readonly maxPixels: number;
  /** Largest single file (an upload, or one archive entry once decompressed), in bytes. */
  readonly maxFileBytes: number;
  /** How deep archives inside archives are expanded (the outer archive is depth 1). */
  readonly maxArchiveDepth: number;
  /** Most entries (files, folders, links, all counted) read from one archive; the rest are refused. */
  readonly maxArchiveEntries: number;
  /** Most bytes decompressed from one archive, all entries together (refused or not, as they are decompressed). */
  readonly maxTotalUncompressedBytes: number;
  /**
   * Highest compression ratio (decompressed / compressed) allowed for an entry (ZIP, 7z) or a compressed stream
   * (tar.gz) once it has produced more than RATIO_GRACE_BYTES: a run of zeros deflates about 1000:1, photographs
   * and videos barely compress at all.
   */
  readonly maxCompressionRatio: number;
  /** Longest video accepted, by its header (declared duration), in seconds. */
  readonly maxVideoSeconds: number;
  /** Most frames hashed from one video (sampled frames; every frame in vPDQ's every-frame mode). */
  readonly maxVideoFrames: number;
}

/** Below this many decompressed bytes the ratio limit does not apply (small files of zeros are not bombs). */
export const RATIO_GRACE_BYTES = 1024 * 1024;

const GIB = 1024 * 1024 * 1024;

export const INGEST_LIMIT_DEFAULTS: IngestLimits = Object.freeze({
  maxPixels: 0x3fff * 0x3fff,
  maxFileBytes: 8 * GIB,
  maxArchiveDepth: 4,
  maxArchiveEntries: 100_000,
  maxTotalUncompressedBytes: 64 * GIB,
  maxCompressionRatio: 100,
  maxVideoSeconds: 24 * 3600,
  maxVideoFrames: 200_000,
});

/** The defaults overridden by `overrides`; throws InvalidError for a limit that is not a positive number. */
export function resolveIngestLimits(overrides: Partial<IngestLimits> = {}): IngestLimits {
  const limits: IngestLimits = { ...INGEST_LIMIT_DEFAULTS, ...stripUndefined(overrides) };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0) || Number.isNaN(value)) {
      throw new InvalidError(`ingest limit ${name} must be a positive number, got ${String(value)}`, { limit: name });
    }
  }
  if (!Number.isInteger(limits.maxArchiveDepth) || !Number.isInteger(limits.maxArchiveEntries) || !Number.isInteger(limits.maxVideoFrames)) {
    throw new InvalidError('ingest limits maxArchiveDepth, maxArchiveEntries and maxVideoFrames must be integers');
  }
  return Object.freeze(limits);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
