import type { TxContext } from '../auth/actor.js';
import { QueryTemplate } from '../db/query-template.js';
import type { MediaItemsTable } from '../db/schema.js';
import type { NewSignalEntry, SignalStore } from '../matching/signal-store.js';
import type { SealedBlob } from '../storage/envelope.js';
import { keepInline } from '../storage/inline-blobs.js';
import type { VideoFacts } from '../video/video-analysis.js';
import { ITEM_BY_SHA256 } from './intake-statements.js';
import type { ExifFacts } from './media-tools.js';
import type { SubmittedFile } from './submission-service.js';

/** A video item's facts as ingest records them, with its contact sheet's address and frame times. */
export interface VideoItemFacts extends VideoFacts {
  readonly contactSheet: string | null;
  readonly contactSheetTimesMs: readonly number[];
}

/** What a file became when it is a new item: its kind, size, signal entries, EXIF facts and renditions. */
export interface ItemFacts {
  readonly video?: VideoItemFacts;
  readonly kind: 'image' | 'video';
  readonly width: number | null;
  readonly height: number | null;
  readonly entries: NewSignalEntry[];
  readonly exif: ExifFacts | null;
  /** The redacted thumbnail's address: kept in the database (`inline`), or in the blob store for older items. */
  readonly thumbnail?: string;
  readonly preview?: string;
  /** Small blobs the row names, sealed, kept in the database with it (storage/inline-blobs.ts): the thumbnail. */
  readonly inline?: readonly SealedBlob[];
}

/** A new item's row, unless its bytes are an item already (nothing then); compiled once (QueryTemplate). */
type NewItemRow = Omit<MediaItemsTable, 'id'>;
const INSERT_ITEM = new QueryTemplate((db, v: NewItemRow) =>
  db
    .insertInto('media_items')
    .values({
      sha256: v.sha256,
      sha1: v.sha1,
      md5: v.md5,
      size: v.size,
      mime: v.mime,
      kind: v.kind,
      width: v.width,
      height: v.height,
      created_at: v.created_at,
      first_seen_at: v.first_seen_at,
      first_country: v.first_country,
      thumbnail_sha256: v.thumbnail_sha256,
      preview_sha256: v.preview_sha256,
      exif: v.exif,
      camera_make: v.camera_make,
      camera_model: v.camera_model,
      camera_serial: v.camera_serial,
      gps_lat: v.gps_lat,
      gps_lon: v.gps_lon,
      taken_at: v.taken_at,
    })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .returning('id'),
);

/**
 * The rows of a new media item, written in the transaction that records the file it came from: the item (with its
 * EXIF facts in columns for the connections views), its inline blobs (the sealed thumbnail), its signal entries (the
 * analysis' and the file's exact digests) and, for a video, its facts. Bytes that another file made an item a
 * moment ago make this file a sighting of that item instead (created false).
 */
export async function insertItem(signals: SignalStore, ctx: TxContext, file: SubmittedFile, mime: string, item: ItemFacts, country: string | null): Promise<{ mediaId: number; created: boolean }> {
  const exif = item.exif;
  const inserted = await INSERT_ITEM.executeTakeFirst(ctx.tx, {
    sha256: file.blob_sha256!,
    sha1: file.sha1 ?? '',
    md5: file.md5 ?? '',
    size: file.size ?? 0,
    mime,
    kind: item.kind,
    width: item.width,
    height: item.height,
    created_at: ctx.now,
    first_seen_at: ctx.now,
    first_country: country,
    thumbnail_sha256: item.thumbnail ?? null,
    preview_sha256: item.preview ?? null,
    exif: exif ? JSON.stringify(exif) : null,
    camera_make: str(exif?.make),
    camera_model: str(exif?.model),
    camera_serial: str(exif?.serial),
    gps_lat: num(exif?.latitude),
    gps_lon: num(exif?.longitude),
    taken_at: str(exif?.takenAt),
  });
  if (!inserted) {
    // Another worker stored the same bytes a moment ago: this file is a sighting of that item.
    const row = await ITEM_BY_SHA256.executeTakeFirst(ctx.tx, { sha256: file.blob_sha256! });
    if (!row) throw new Error(`media item ${file.blob_sha256} was neither inserted nor found`);
    return { mediaId: Number(row.id), created: false };
  }
  const mediaId = Number(inserted.id);
  for (const blob of item.inline ?? []) await keepInline(ctx.tx, blob, ctx.now);
  const exact: NewSignalEntry[] = [
    { signal: 'sha256', hash: hex(file.blob_sha256!) },
    ...(file.md5 ? [{ signal: 'md5' as const, hash: hex(file.md5) }] : []),
    ...(file.sha1 ? [{ signal: 'sha1' as const, hash: hex(file.sha1) }] : []),
  ];
  await signals.addEntries(ctx.tx, [...item.entries, ...exact].map((e) => ({ ...e, mediaId })), ctx.now);
  const v = item.video;
  if (v) {
    await ctx.tx
      .insertInto('video_facts')
      .values({
        media_id: mediaId,
        duration_ms: v.durationMs,
        width: v.width,
        height: v.height,
        fps: v.fps,
        codec: v.codec,
        container: v.container,
        has_audio: v.hasAudio ? 1 : 0,
        rotation: v.rotation,
        sample_fps: v.sampleFps,
        frames_hashed: v.framesHashed,
        decoded_ms: v.decodedMs,
        contact_sheet_sha256: v.contactSheet,
        contact_sheet_times: JSON.stringify(v.contactSheetTimesMs),
        created_at: ctx.now,
      })
      .execute();
  }
  return { mediaId, created: true };
}

/** A hex digest as the bytes signal entries hold. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
