import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { CasesModule } from '../cases/cases-module.js';
import type { ConnectionOptions, ItemConnections } from '../cases/connection-service.js';
import { NotFoundError } from '../core/errors.js';
import type { FaceCandidate, FaceService, FaceView } from './face-service.js';
import type { SceneCandidate, SceneService } from './scene-service.js';

export interface ItemConnectionsView {
  readonly mediaId: number;
  /** Camera serial, make/model near in time, GPS (cases/connection-service.ts). */
  readonly metadata: Omit<ItemConnections, 'mediaId'>;
  /** Each face found in the item with the faces in other items that may be the same person. */
  readonly faces: ReadonlyArray<{ readonly face: FaceView; readonly matches: readonly FaceCandidate[] }>;
  /** Items that may show the same place: descriptor shortlist and stored ORB confirmations. */
  readonly scenes: readonly SceneCandidate[];
}

const MAX_ITEMS = 200;
const FACE_MATCHES = 10;
const SCENE_MATCHES = 10;

/**
 * One "connections" answer that puts the three kinds of lead side by side: metadata (same camera, same model near
 * in time, nearby GPS), faces (possibly the same person) and scenes (possibly the same place). Per item, per series
 * and per investigation. Leads for a person to review, never conclusions. Access: `cases.read` and `media.match`;
 * a series' items only for those who see its detail, an investigation's only for those who see it (404 otherwise).
 */
export class ConnectionsView {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly cases: CasesModule,
    private readonly faces: FaceService,
    private readonly scenes: SceneService,
  ) {}

  async forItem(ctx: TxContext, mediaId: number, options: ConnectionOptions = {}): Promise<ItemConnectionsView> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const metadata = await this.cases.connections.forItem(ctx, mediaId, options);
    return this.assemble(ctx, metadata);
  }

  async forSeries(ctx: TxContext, seriesId: number, options: ConnectionOptions = {}): Promise<{ items: ItemConnectionsView[]; truncated: boolean }> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const series = await this.cases.series.get(ctx, seriesId);
    if (!series.detail) throw new NotFoundError('series not found');
    return this.many(ctx, series.detail.mediaIds, options);
  }

  async forInvestigation(ctx: TxContext, investigationId: number, options: ConnectionOptions = {}): Promise<{ items: ItemConnectionsView[]; truncated: boolean }> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    // Checks that the caller sees the investigation (404 otherwise) before anything else is read.
    await this.cases.connections.forInvestigation(ctx, investigationId, { ...options, limit: 1 });
    const links = await ctx.tx.selectFrom('investigation_links').select(['kind', 'target_id']).where('investigation_id', '=', investigationId).where('kind', 'in', ['media', 'series', 'submission']).execute();
    const of = (kind: string) => links.filter((l) => l.kind === kind && l.target_id !== null).map((l) => Number(l.target_id));
    const ids = new Set(of('media'));
    if (of('series').length > 0) for (const r of await ctx.tx.selectFrom('series_media').select('media_id').where('series_id', 'in', of('series')).execute()) ids.add(Number(r.media_id));
    if (of('submission').length > 0) {
      for (const r of await ctx.tx.selectFrom('submission_files').select('media_id').distinct().where('submission_id', 'in', of('submission')).where('media_id', 'is not', null).execute()) ids.add(Number(r.media_id));
    }
    return this.many(ctx, [...ids], options);
  }

  private async many(ctx: TxContext, mediaIds: readonly number[], options: ConnectionOptions): Promise<{ items: ItemConnectionsView[]; truncated: boolean }> {
    const chosen = [...new Set(mediaIds)].sort((a, b) => a - b).slice(0, MAX_ITEMS);
    const items: ItemConnectionsView[] = [];
    for (const id of chosen) {
      const view = await this.assemble(ctx, await this.cases.connections.forItem(ctx, id, options));
      const m = view.metadata;
      if (m.sameCamera.length + m.sameModelNearTime.length + m.nearby.length + view.faces.reduce((n, f) => n + f.matches.length, 0) + view.scenes.length > 0) items.push(view);
    }
    return { items, truncated: new Set(mediaIds).size > chosen.length };
  }

  private async assemble(ctx: TxContext, metadata: ItemConnections): Promise<ItemConnectionsView> {
    const { mediaId, ...rest } = metadata;
    const own = await this.faces.facesOf(ctx, mediaId);
    const faces = [];
    for (const face of own.faces) {
      const found = await this.faces.find(ctx, { faceId: face.id }, { limit: FACE_MATCHES + own.faces.length });
      faces.push({ face, matches: found.candidates.filter((c) => c.mediaId !== mediaId).slice(0, FACE_MATCHES) });
    }
    const scenes = (await this.scenes.similar(ctx, mediaId, { limit: SCENE_MATCHES })).candidates;
    return { mediaId, metadata: rest, faces, scenes };
  }
}
