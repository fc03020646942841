import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';
import type { CaseAccess } from './case-access.js';

export interface ConnectedItem {
  readonly mediaId: number;
  readonly cameraMake: string | null;
  readonly cameraModel: string | null;
  readonly cameraSerial: string | null;
  readonly takenAt: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
  /** For time-window connections: minutes between the two capture times. */
  readonly minutesApart?: number;
  /** For GPS connections: kilometres between the two points. */
  readonly distanceKm?: number;
}

export interface ItemConnections {
  readonly mediaId: number;
  /** Same camera body serial (and make, when both record one). */
  readonly sameCamera: readonly ConnectedItem[];
  /** Same make and model, captured within the time window. */
  readonly sameModelNearTime: readonly ConnectedItem[];
  /** GPS points within the distance. */
  readonly nearby: readonly ConnectedItem[];
}

export interface ConnectionOptions {
  /** Minutes either side for make/model connections (default 60). */
  readonly windowMinutes?: number;
  /** Kilometres for GPS connections (default 1). */
  readonly radiusKm?: number;
  /** Most connections of each kind per item (default 50). */
  readonly limit?: number;
}

type ItemRow = { id: number; camera_make: string | null; camera_model: string | null; camera_serial: string | null; taken_at: string | null; gps_lat: number | null; gps_lon: number | null };

const COLUMNS = ['id', 'camera_make', 'camera_model', 'camera_serial', 'taken_at', 'gps_lat', 'gps_lon'] as const;
/** Capture times without an offset are wall-clock; the candidate range is widened by the largest offset spread. */
const OFFSET_SPREAD_MS = 26 * 3_600_000;
const MAX_CANDIDATES = 2000;
const MAX_INVESTIGATION_ITEMS = 500;

/**
 * Connections between media items from their EXIF facts (stored at ingest): the same camera body serial, the same
 * make and model within a time window, GPS points within a distance. Each kind is one indexed query per item
 * (camera serial; make, model and capture time; latitude and longitude box, then exact great-circle distance).
 * Item facts are matching material, visible to every certified investigator; per investigation, for the items it
 * links (directly, through its series and through its submissions).
 */
export class ConnectionService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly access: CaseAccess,
  ) {}

  async forItem(ctx: TxContext, mediaId: number, options: ConnectionOptions = {}): Promise<ItemConnections> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const row = (await ctx.tx.selectFrom('media_items').select(COLUMNS).where('id', '=', mediaId).executeTakeFirst()) as ItemRow | undefined;
    if (!row) throw new NotFoundError('media item not found');
    return connectionsOf(ctx.tx, row, checkOptions(options));
  }

  /** Connections of every item an investigation links; items without any are left out. */
  async forInvestigation(ctx: TxContext, investigationId: number, options: ConnectionOptions = {}): Promise<{ items: ItemConnections[]; truncated: boolean }> {
    await this.access.require(ctx, investigationId, 'read');
    const o = checkOptions(options);
    const links = await ctx.tx.selectFrom('investigation_links').select(['kind', 'target_id']).where('investigation_id', '=', investigationId).where('kind', 'in', ['media', 'series', 'submission']).execute();
    const ids = new Set<number>();
    const of = (kind: string) => links.filter((l) => l.kind === kind && l.target_id !== null).map((l) => Number(l.target_id));
    for (const id of of('media')) ids.add(id);
    if (of('series').length > 0) for (const r of await ctx.tx.selectFrom('series_media').select('media_id').where('series_id', 'in', of('series')).execute()) ids.add(Number(r.media_id));
    if (of('submission').length > 0) {
      const files = await ctx.tx.selectFrom('submission_files').select('media_id').distinct().where('submission_id', 'in', of('submission')).where('media_id', 'is not', null).execute();
      for (const r of files) ids.add(Number(r.media_id));
    }
    const chosen = [...ids].sort((a, b) => a - b).slice(0, MAX_INVESTIGATION_ITEMS);
    const rows = chosen.length === 0 ? [] : ((await ctx.tx.selectFrom('media_items').select(COLUMNS).where('id', 'in', chosen).orderBy('id').execute()) as ItemRow[]);
    const items: ItemConnections[] = [];
    for (const row of rows) {
      const c = await connectionsOf(ctx.tx, row, o);
      if (c.sameCamera.length + c.sameModelNearTime.length + c.nearby.length > 0) items.push(c);
    }
    return { items, truncated: ids.size > chosen.length };
  }
}

function checkOptions(o: ConnectionOptions): Required<ConnectionOptions> {
  const windowMinutes = o.windowMinutes ?? 60;
  const radiusKm = o.radiusKm ?? 1;
  const limit = o.limit ?? 50;
  if (!(windowMinutes >= 0 && windowMinutes <= 7 * 24 * 60)) throw new InvalidError('windowMinutes is 0 to 10080');
  if (!(radiusKm >= 0 && radiusKm <= 100)) throw new InvalidError('radiusKm is 0 to 100');
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidError('limit is 1 to 500');
  return { windowMinutes, radiusKm, limit };
}

async function connectionsOf(ex: Executor, item: ItemRow, o: Required<ConnectionOptions>): Promise<ItemConnections> {
  const id = Number(item.id);
  let sameCamera: ConnectedItem[] = [];
  if (item.camera_serial) {
    const rows = (await ex.selectFrom('media_items').select(COLUMNS).where('camera_serial', '=', item.camera_serial).where('id', '<>', id).orderBy('id').limit(MAX_CANDIDATES).execute()) as ItemRow[];
    // A serial is unique per make; when both record a make it must agree.
    sameCamera = rows.filter((r) => !item.camera_make || !r.camera_make || r.camera_make.toLowerCase() === item.camera_make.toLowerCase()).slice(0, o.limit).map((r) => view(r));
  }

  const sameModelNearTime: ConnectedItem[] = [];
  const at = item.taken_at ? captureTime(item.taken_at) : null;
  if (item.camera_make && item.camera_model && at) {
    const spread = o.windowMinutes * 60_000 + OFFSET_SPREAD_MS;
    const rows = (await ex
      .selectFrom('media_items')
      .select(COLUMNS)
      .where('camera_make', '=', item.camera_make)
      .where('camera_model', '=', item.camera_model)
      .where('taken_at', '>=', wallClock(at.wall - spread))
      .where('taken_at', '<=', `${wallClock(at.wall + spread)}~`)
      .where('id', '<>', id)
      .limit(MAX_CANDIDATES)
      .execute()) as ItemRow[];
    for (const r of rows) {
      const other = captureTime(r.taken_at!);
      if (!other) continue;
      // Both with offsets: compare instants; otherwise wall-clock times.
      const apart = at.instant !== null && other.instant !== null ? Math.abs(at.instant - other.instant) : Math.abs(at.wall - other.wall);
      if (apart <= o.windowMinutes * 60_000) sameModelNearTime.push(view(r, { minutesApart: Math.round(apart / 6000) / 10 }));
    }
    sameModelNearTime.sort((a, b) => a.minutesApart! - b.minutesApart! || a.mediaId - b.mediaId).splice(o.limit);
  }

  const nearby: ConnectedItem[] = [];
  if (item.gps_lat !== null && item.gps_lon !== null) {
    const lat = item.gps_lat;
    const lon = item.gps_lon;
    const dLat = o.radiusKm / 111.32;
    const dLon = o.radiusKm / (111.32 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
    const rows = (await ex
      .selectFrom('media_items')
      .select(COLUMNS)
      .where('gps_lat', '>=', lat - dLat)
      .where('gps_lat', '<=', lat + dLat)
      .where('gps_lon', '>=', lon - dLon)
      .where('gps_lon', '<=', lon + dLon)
      .where('id', '<>', id)
      .limit(MAX_CANDIDATES)
      .execute()) as ItemRow[];
    for (const r of rows) {
      const d = haversineKm(lat, lon, r.gps_lat!, r.gps_lon!);
      if (d <= o.radiusKm) nearby.push(view(r, { distanceKm: Math.round(d * 1000) / 1000 }));
    }
    nearby.sort((a, b) => a.distanceKm! - b.distanceKm! || a.mediaId - b.mediaId).splice(o.limit);
  }
  return { mediaId: id, sameCamera, sameModelNearTime, nearby };
}

function view(r: ItemRow, extra: { minutesApart?: number; distanceKm?: number } = {}): ConnectedItem {
  return { mediaId: Number(r.id), cameraMake: r.camera_make, cameraModel: r.camera_model, cameraSerial: r.camera_serial, takenAt: r.taken_at, lat: r.gps_lat, lon: r.gps_lon, ...extra };
}

const TAKEN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2})?$/;

/** A stored capture time (exif.ts: `YYYY-MM-DDTHH:MM:SS[.fff][+hh:mm]`): its wall-clock ms and, with an offset, its instant. */
export function captureTime(text: string): { wall: number; instant: number | null; offset: boolean } | null {
  const m = TAKEN.exec(text);
  if (!m) return null;
  const wall = Date.parse(`${m[1]}${m[2] ?? ''}Z`);
  if (Number.isNaN(wall)) return null;
  const instant = m[3] ? Date.parse(`${m[1]}${m[2] ?? ''}${m[3]}`) : null;
  return { wall, instant, offset: m[3] !== undefined };
}

function wallClock(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}
