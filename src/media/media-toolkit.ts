import { readArchive, sniffArchive, type ArchiveFormat } from '../archives/index.js';
import type { ArchiveItem, ExifFacts, MediaTools } from '../ingest/media-tools.js';
import type { IngestLimits } from './limits.js';
import type { HashPool } from '../signals/hash-pool.js';
import { extractExif } from './exif.js';
import { makeThumbnails } from './thumbnails.js';

/** The ingest pipeline's media tools on this machine: the hash pool's threads, exifr, sharp, the archive readers. */
export function createMediaToolkit(options: { pool: () => HashPool; limits: IngestLimits }): MediaTools {
  const { limits } = options;
  return {
    hash: (bytes) => options.pool().hashBuffer(bytes, { letterbox: true }),
    async exif(bytes): Promise<ExifFacts | null> {
      const e = await extractExif(bytes);
      if (!e) return null;
      return { ...e, serial: e.bodySerial ?? null, latitude: e.gps?.latitude ?? null, longitude: e.gps?.longitude ?? null, takenAt: e.originalTime ?? null };
    },
    async renditions(bytes) {
      const t = await makeThumbnails(bytes, { maxPixels: limits.maxPixels });
      return { thumbnail: t.thumbnail, preview: t.preview };
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
