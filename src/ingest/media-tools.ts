import type { Readable } from 'node:stream';
import type { FileSignals } from '../signals/file-hasher.js';
import type { SealedBlob } from '../storage/envelope.js';
import type { StoredBytes } from './store-stream.js';
import type { VideoAnalysis } from '../video/video-analysis.js';

/** What ingest extracts from an image once: camera and place (EXIF). Stored as JSON with the item. */
export interface ExifFacts {
  readonly make?: string | null;
  readonly model?: string | null;
  readonly serial?: string | null;
  readonly latitude?: number | null;
  readonly longitude?: number | null;
  readonly takenAt?: string | null;
  readonly [key: string]: unknown;
}

export interface Renditions {
  /** Blurred, greyscale, small: the default view that protects the person looking at it. */
  readonly thumbnail: Buffer;
  /**
   * Unredacted, downscaled: shown only on a deliberate, audited request. Null when the preview is the file's own
   * bytes (a JPEG with no metadata to strip and no need to reduce or turn): the stored original is the preview.
   */
  readonly preview: Buffer | null;
}

/**
 * An image analysed where it is stored: its signals, EXIF, its redacted thumbnail sealed for the database (written
 * with the item's row: storage/inline-blobs.ts) and the address of its preview, already stored.
 */
export interface StoredImageAnalysis {
  readonly signals: FileSignals;
  readonly exif: ExifFacts | null;
  /** Null when the image could not be decoded. preview null: the stored original is its own preview. */
  readonly renditions: { readonly thumbnail: SealedBlob; readonly preview: string | null } | null;
}

/** A stored blob analysed where it is stored: its first bytes, and unless they are an archive's, the analysis. */
export interface AnalysedBlob {
  /** With an analysis, only enough bytes to tell an archive: the analysis's `signals.mime` is the sniffed type. */
  readonly head: Buffer;
  readonly analysis: StoredImageAnalysis | null;
}

/** A local file stored where the store is written, with its analysis when its bytes were new to the store. */
export interface LocallyStored extends StoredBytes {
  readonly analysed: AnalysedBlob | null;
}

export interface ArchiveMember {
  readonly path: string;
  readonly mtime: number | null;
  open(): Readable;
}

export type ArchiveItem = { readonly ok: true; readonly entry: ArchiveMember } | { readonly ok: false; readonly path: string; readonly reason: string };

/**
 * The media tools the ingest pipeline needs, behind one port (the composition root wires sharp, exifr, the hash
 * pool and the archive readers in; tests may wire others).
 */
export interface MediaTools {
  /**
   * Every signal of an image or other file, off the main thread, from one decode: PDQ (plain and letterbox-trimmed),
   * digests (taken from `known` when given), and for images the EXIF facts and the renditions. Takes the bytes:
   * the caller must not use them (or any view of their memory) afterwards.
   */
  analyse(bytes: Buffer, known?: { readonly md5: string; readonly sha1: string; readonly sha256: string }): Promise<{ signals: FileSignals; exif: ExifFacts | null; renditions: Renditions | null }>;
  /**
   * A stored blob analysed by a thread that reads and writes the blob store itself (a local store), so neither the
   * bytes nor the renditions pass through the caller: the blob's first bytes, and unless they are an archive's, the
   * analysis of `analyse` with the renditions stored. Absent when the store is not local: the caller then reads the
   * blob, calls analyse and stores the renditions.
   */
  analyseStored?(sha256: string, known: { readonly md5: string; readonly sha1: string; readonly sha256: string }): Promise<AnalysedBlob>;
  /**
   * A file of this machine stored by a thread that reads it and writes the (local) blob store itself, and when its
   * bytes are new to the store analysed there at once, as analyseStored would: one hand-off, and the bytes are not
   * read back. Null when the file is too large to read whole (the caller streams it). Absent with other stores.
   */
  storeLocal?(path: string): Promise<LocallyStored | null>;
  /** Archive format from the first bytes, or null when the bytes are not an archive. */
  archiveKind(head: Buffer): string | null;
  /** Members of an archive held in a local file, as a stream of entries and refusals. */
  readArchive(path: string, kind: string): AsyncIterable<ArchiveItem>;
  /**
   * A video file's facts, sampled frame hashes (vPDQ) and renditions (redacted thumbnail and contact sheet, preview).
   * Absent when no ffmpeg is configured: videos are then stored and sighted without signals.
   */
  analyseVideo?(path: string, options: { signal?: AbortSignal }): Promise<VideoAnalysis>;
}
