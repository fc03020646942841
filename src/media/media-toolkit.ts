import { readArchive, sniffArchive, type ArchiveFormat } from '../archives/index.js';
import type { AnalysedBlob, ArchiveItem, ExifFacts, MediaTools } from '../ingest/media-tools.js';
import type { IngestLimits } from './limits.js';
import type { FileSignals } from '../signals/file-hasher.js';
import type { HashPool } from '../signals/hash-pool.js';
import type { StoredAnalysis } from '../signals/stored-blobs.js';
import { analyseVideo } from '../video/video-analysis.js';
import { VideoHasher } from '../video/video-hasher.js';
import type { FfmpegBinary } from './ffmpeg-binary.js';
import { asBuffer } from '../core/bytes.js';

/**
 * The ingest pipeline's media tools on this machine: the hash pool's threads, exifr, sharp, the archive readers, and
 * ffmpeg for videos when one was resolved (`videoFps` frames per second hashed, default 1). `storedBlobs`: the pool's
 * workers read and write the (local) blob store themselves, so stored images are analysed there (analyseStored).
 */
export function createMediaToolkit(options: { pool: () => HashPool; limits: IngestLimits; ffmpeg?: FfmpegBinary | null; videoFps?: number; storedBlobs?: boolean }): MediaTools {
  const { limits } = options;
  const ffmpeg = options.ffmpeg ?? null;
  // One hasher per video at a time (PdqHasher is not re-entrant); a few jobs may run at once.
  const idle: VideoHasher[] = [];
  const video = ffmpeg
    ? async (path: string, o: { signal?: AbortSignal }) => {
        const hasher = idle.pop() ?? new VideoHasher(ffmpeg, limits);
        try {
          return await analyseVideo(hasher, path, { fps: options.videoFps ?? 1, signal: o.signal });
        } finally {
          idle.push(hasher);
        }
      }
    : undefined;
  const whereStored: Pick<MediaTools, 'analyseStored' | 'storeLocal'> = options.storedBlobs
    ? {
        analyseStored: async (sha256, known) => analysedBlob(await options.pool().analyseStored(sha256, { ...ANALYSIS, knownDigests: known })),
        async storeLocal(path) {
          const stored = await options.pool().storeFile(path, ANALYSIS);
          if (!stored) return null;
          const { analysis, ...digests } = stored;
          return { ...digests, analysed: analysis ? analysedBlob(analysis) : null };
        },
      }
    : {};
  return {
    ...(video ? { analyseVideo: video } : {}),
    ...whereStored,
    async analyse(bytes, known) {
      const signals = await options.pool().hashBuffer(bytes, { ...ANALYSIS, knownDigests: known }, true);
      const exif = exifFacts(signals.exif);
      const r = signals.renditions;
      const renditions = r ? { thumbnail: asBuffer(r.thumbnail), preview: r.preview ? asBuffer(r.preview) : null } : null;
      return { signals: { ...signals, exif: undefined, renditions: undefined }, exif, renditions };
    },
    archiveKind: (head) => sniffArchive(head),
    async *readArchive(path, kind): AsyncIterable<ArchiveItem> {
      for await (const item of readArchive({ path }, { limits, format: kind as ArchiveFormat })) {
        if (item.kind === 'problem') yield { ok: false, path: item.path, reason: item.reason };
        else yield { ok: true, entry: { path: item.path, mtime: item.mtime ? item.mtime.getTime() : null, open: () => item.open() } };
      }
    },
  };
}

/** What ingest asks of an image: PDQ plain and letterbox-trimmed, EXIF and the renditions, from one decode. */
const ANALYSIS = { letterbox: true, extract: true } as const;

/** A worker's analysis of a stored blob as the ingest pipeline takes it. */
function analysedBlob({ head, signals, renditions }: StoredAnalysis): AnalysedBlob {
  const analysis = signals ? { signals: { ...signals, exif: undefined }, exif: exifFacts(signals.exif), renditions } : null;
  return { head: asBuffer(head), analysis };
}

/** The EXIF summary as ingest records it. */
function exifFacts(e: FileSignals['exif']): ExifFacts | null {
  return e ? { ...e, serial: e.bodySerial ?? null, latitude: e.gps?.latitude ?? null, longitude: e.gps?.longitude ?? null, takenAt: e.originalTime ?? null } : null;
}
