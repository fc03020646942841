import type { Readable } from 'node:stream';
import { inTransaction, type RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { NotFoundError } from '../core/errors.js';
import type { Db } from '../db/schema.js';
import type { RenditionReader } from '../storage/inline-blobs.js';
import type { BlobStore } from '../storage/blob-store.js';

export type Rendition = 'thumbnail' | 'preview' | 'original' | 'contact-sheet';

/** A video's facts (migration 0010). */
export interface VideoDescription {
  readonly durationMs: number | null;
  readonly width: number;
  readonly height: number;
  readonly fps: number | null;
  readonly codec: string;
  readonly container: string;
  readonly hasAudio: boolean;
  readonly rotation: number;
  readonly sampleFps: number;
  readonly framesHashed: number;
  readonly decodedMs: number;
  readonly hasContactSheet: boolean;
  /** Time of each contact sheet tile, left to right, top to bottom (ms). */
  readonly contactSheetTimesMs: readonly number[];
}

export interface MediaDescription {
  readonly id: number;
  readonly sha256: string;
  readonly sha1: string;
  readonly md5: string;
  readonly size: number;
  readonly mime: string;
  readonly kind: string;
  readonly width: number | null;
  readonly height: number | null;
  readonly firstSeenAt: number | null;
  readonly firstCountry: string | null;
  readonly camera: { readonly make: string | null; readonly model: string | null; readonly serial: string | null };
  readonly gps: { readonly latitude: number; readonly longitude: number } | null;
  readonly takenAt: string | null;
  readonly hasThumbnail: boolean;
  readonly hasPreview: boolean;
  /** For a video: its facts; null for images and for videos stored without ffmpeg. */
  readonly video: VideoDescription | null;
}

/**
 * Looking at stored material (DESIGN.md section 7): every certified investigator may see an item's facts and its
 * redacted thumbnail (blurred, grey); the unredacted preview and the original are shown only on a deliberate
 * request, and each such view or download is written to the audit trail before a single byte is sent.
 */
export class MediaViewService {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly renditions: RenditionReader,
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async describe(ctx: RequestContext, id: number): Promise<MediaDescription> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const m = await this.db.selectFrom('media_items').selectAll().where('id', '=', id).executeTakeFirst();
    if (!m) throw new NotFoundError('media item not found');
    const v = m.kind === 'video' ? await this.db.selectFrom('video_facts').selectAll().where('media_id', '=', id).executeTakeFirst() : undefined;
    return {
      id: Number(m.id),
      sha256: m.sha256,
      sha1: m.sha1,
      md5: m.md5,
      size: Number(m.size),
      mime: m.mime,
      kind: m.kind,
      width: m.width,
      height: m.height,
      firstSeenAt: m.first_seen_at === null ? null : Number(m.first_seen_at),
      firstCountry: m.first_country,
      camera: { make: m.camera_make, model: m.camera_model, serial: m.camera_serial },
      gps: m.gps_lat !== null && m.gps_lon !== null ? { latitude: m.gps_lat, longitude: m.gps_lon } : null,
      takenAt: m.taken_at,
      hasThumbnail: m.thumbnail_sha256 !== null,
      hasPreview: m.preview_sha256 !== null,
      video: v
        ? {
            durationMs: v.duration_ms === null ? null : Number(v.duration_ms),
            width: v.width,
            height: v.height,
            fps: v.fps,
            codec: v.codec,
            container: v.container,
            hasAudio: Number(v.has_audio) === 1,
            rotation: v.rotation,
            sampleFps: v.sample_fps,
            framesHashed: v.frames_hashed,
            decodedMs: Number(v.decoded_ms),
            hasContactSheet: v.contact_sheet_sha256 !== null,
            contactSheetTimesMs: JSON.parse(v.contact_sheet_times) as number[],
          }
        : null,
    };
  }

  /**
   * The bytes of one rendition. Thumbnails (redacted) need `media.match`; the preview and the original need
   * `media.view`, and the view (`media.view`) or download (`media.download`) is audited, committed before the bytes
   * are returned. NotFound for an unknown item or a rendition the item does not have.
   */
  async open(ctx: RequestContext, id: number, rendition: Rendition, options: { range?: { start: number; end: number } } = {}): Promise<{ stream: Readable; mime: string; size: number | null; sha256: string }> {
    const redacted = rendition === 'thumbnail' || rendition === 'contact-sheet';
    this.policy.require(ctx.actor, redacted ? 'media.match' : 'media.view', ctx.now);
    const m = await this.db
      .selectFrom('media_items')
      .select(['id', 'sha256', 'mime', 'size', 'first_country', 'thumbnail_sha256', 'preview_sha256'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!m) throw new NotFoundError('media item not found');
    const sheet = rendition === 'contact-sheet' ? await this.db.selectFrom('video_facts').select('contact_sheet_sha256').where('media_id', '=', id).executeTakeFirst() : undefined;
    const blob = rendition === 'thumbnail' ? m.thumbnail_sha256 : rendition === 'preview' ? m.preview_sha256 : rendition === 'contact-sheet' ? (sheet?.contact_sheet_sha256 ?? null) : m.sha256;
    if (!blob) throw new NotFoundError(`this item has no ${rendition}`);
    if (!redacted) {
      await inTransaction(this.db, ctx, (tx) =>
        this.audit.append(tx.tx, {
          action: rendition === 'original' ? 'media.download' : 'media.view',
          actor: tx.actor,
          object: { type: 'media', id, country: m.first_country },
          address: tx.address,
          requestId: tx.requestId,
          details: { rendition, sha256: m.sha256, ...(options.range ? { range: `${options.range.start}-${options.range.end}` } : {}) },
        }),
      );
    }
    const mime = redacted ? 'image/png' : rendition === 'preview' ? 'image/jpeg' : m.mime;
    // Thumbnails are kept in the database (storage/inline-blobs.ts; older ones in the blob store); the rest streams.
    const stream = rendition === 'thumbnail' ? await this.renditions.open(blob) : await this.blobs.get(blob);
    return { stream, mime, size: rendition === 'original' ? Number(m.size) : null, sha256: blob };
  }
}
