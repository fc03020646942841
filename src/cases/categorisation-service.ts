import type { TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';

/** VICS categories: 0 uncategorised, 1 child abuse material, 2 exploitative, 3 CGI/animation, 4 comparison, 5 non-pertinent. */
export const VICS_CATEGORIES = [0, 1, 2, 3, 4, 5] as const;

export interface Categorisation {
  readonly mediaId: number;
  /** Settled once `quorum` investigators agree on category and baseline; null until then. */
  readonly category: number | null;
  readonly baseline: boolean | null;
  readonly settledAt: number | null;
  readonly quorum: number;
  /** Current votes disagree: the item is listed for review. */
  readonly disputed: boolean;
  /** Current votes grouped by (category, baseline), largest first. */
  readonly tally: ReadonlyArray<{ readonly category: number; readonly baseline: boolean; readonly votes: number }>;
  /**
   * Categories assigned by a national unit on import (`ariadne ingest --category`), oldest first: explicit decisions
   * of the operator acting for that agency, not votes. The latest stands as the category until votes settle one.
   */
  readonly assignments: ReadonlyArray<{ readonly agencyId: number; readonly agencyName: string; readonly countryCode: string; readonly actor: string; readonly submissionId: number | null; readonly category: number; readonly baseline: boolean; readonly at: number }>;
  /** Every vote ever cast, superseded ones included, oldest first. */
  readonly history: ReadonlyArray<{ readonly userId: number; readonly username: string; readonly countryCode: string; readonly category: number; readonly baseline: boolean; readonly at: number; readonly supersededAt: number | null }>;
}

/**
 * Categorisation by agreement: each investigator votes a VICS category and a baseline flag per item (a new vote
 * supersedes their previous one; all votes stay as history). The item's category is settled when `quorum`
 * investigators agree on the same category and baseline; while current votes disagree the item is listed for
 * review. A settled category makes later matches on the item *known* (matching/known.ts). Categorising material is
 * matching work: every certified investigator may vote and read votes. A national unit may assign a category on
 * import (the operator, `assignOnImport`): recorded and audited as its decision, it stands until votes settle one.
 */
export class CategorisationService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly quorum: number,
  ) {}

  async vote(ctx: TxContext, mediaId: number, input: { category: number; baseline: boolean }): Promise<Categorisation> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    if (!(VICS_CATEGORIES as readonly number[]).includes(input.category)) throw new InvalidError('category must be a VICS category from 0 to 5');
    const item = await ctx.tx.selectFrom('media_items').select(['id', 'first_country']).where('id', '=', mediaId).executeTakeFirst();
    if (!item) throw new NotFoundError('media item not found');
    await ctx.tx.updateTable('category_votes').set({ superseded_at: ctx.now }).where('media_id', '=', mediaId).where('user_id', '=', actor.userId).where('superseded_at', 'is', null).execute();
    await ctx.tx.insertInto('category_votes').values({ media_id: mediaId, user_id: actor.userId, category: input.category, baseline: input.baseline ? 1 : 0, created_at: ctx.now, superseded_at: null }).execute();
    const object = { type: 'media', id: mediaId, country: item.first_country };
    await this.audit.append(ctx.tx, { action: 'media.category.vote', actor: ctx.actor, object, address: ctx.address, requestId: ctx.requestId, details: input });
    await this.settle(ctx, mediaId, object);
    return this.get(ctx, mediaId);
  }

  /**
   * The operator on import (`ariadne ingest --category N [--baseline]`), acting for a national unit: records the
   * unit's category decision on each item (category_assignments, audited `media.category.assign` as the operator,
   * naming the agency and submission). It becomes the item's category unless investigators' votes have settled one,
   * and later settled votes override it. System actor only.
   */
  async assignOnImport(ctx: TxContext, mediaIds: readonly number[], input: { category: number; baseline: boolean; agencyId: number; submissionId: number }): Promise<number> {
    if (ctx.actor.kind !== 'system') throw new ForbiddenError('only the command-line operator assigns categories on import');
    if (!(VICS_CATEGORIES as readonly number[]).includes(input.category)) throw new InvalidError('category must be a VICS category from 0 to 5');
    const agency = await ctx.tx.selectFrom('agencies').select('id').where('id', '=', input.agencyId).executeTakeFirst();
    if (!agency) throw new NotFoundError('agency not found');
    let assigned = 0;
    for (const mediaId of new Set(mediaIds)) {
      const item = await ctx.tx.selectFrom('media_items').select(['id', 'first_country']).where('id', '=', mediaId).executeTakeFirst();
      if (!item) throw new NotFoundError('media item not found');
      await ctx.tx.insertInto('category_assignments').values({ media_id: mediaId, category: input.category, baseline: input.baseline ? 1 : 0, agency_id: input.agencyId, actor: `system:${ctx.actor.name}`, submission_id: input.submissionId, created_at: ctx.now }).execute();
      const object = { type: 'media', id: mediaId, country: item.first_country };
      await this.audit.append(ctx.tx, {
        action: 'media.category.assign',
        actor: ctx.actor,
        object,
        address: ctx.address,
        requestId: ctx.requestId,
        details: { category: input.category, baseline: input.baseline, forAgencyId: input.agencyId, submissionId: input.submissionId, decision: 'assigned by the national unit on import' },
      });
      await this.settle(ctx, mediaId, object);
      assigned++;
    }
    return assigned;
  }

  /**
   * Derives the item's category: settled by `quorum` agreeing current votes (no tie), else the latest category a
   * national unit assigned on import, else none; audits `media.category.settle` when it changes.
   */
  private async settle(ctx: TxContext, mediaId: number, object: { type: string; id: number; country: string | null }): Promise<void> {
    const before = await ctx.tx.selectFrom('media_categories').selectAll().where('media_id', '=', mediaId).executeTakeFirst();
    const tally = await currentTally(ctx.tx, mediaId);
    const top = tally[0] as (typeof tally)[number] | undefined;
    const tied = tally.length > 1 && tally[1].votes === top!.votes;
    const byVotes = top !== undefined && top.votes >= this.quorum && !tied ? top : null;
    const assignment = byVotes ? undefined : await ctx.tx.selectFrom('category_assignments').select(['category', 'baseline']).where('media_id', '=', mediaId).orderBy('id', 'desc').executeTakeFirst();
    const settled = byVotes ?? (assignment ? { category: Number(assignment.category), baseline: Number(assignment.baseline) === 1 } : null);
    const votes = tally.reduce((n, t) => n + t.votes, 0);
    const row = {
      category: settled ? settled.category : null,
      baseline: settled ? ((settled.baseline ? 1 : 0) as 0 | 1) : null,
      settled_at: settled ? (before && before.category === settled.category && Number(before.baseline) === (settled.baseline ? 1 : 0) ? before.settled_at : ctx.now) : null,
      votes,
      disputed: (tally.length > 1 ? 1 : 0) as 0 | 1,
      updated_at: ctx.now,
    };
    if (before) await ctx.tx.updateTable('media_categories').set(row).where('media_id', '=', mediaId).execute();
    else await ctx.tx.insertInto('media_categories').values({ media_id: mediaId, ...row }).execute();
    const previousBaseline = before?.baseline === undefined || before.baseline === null ? null : Number(before.baseline);
    const changed = (before?.category ?? null) !== row.category || previousBaseline !== row.baseline;
    if (changed) {
      await this.audit.append(ctx.tx, {
        action: 'media.category.settle',
        actor: ctx.actor,
        object,
        address: ctx.address,
        requestId: ctx.requestId,
        details: { category: row.category, baseline: row.baseline === null ? null : row.baseline === 1, previous: before?.category ?? null, quorum: this.quorum, by: byVotes ? 'votes' : settled ? 'assignment on import' : 'none' },
      });
    }
  }

  async get(ctx: TxContext, mediaId: number): Promise<Categorisation> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const item = await ctx.tx.selectFrom('media_items').select('id').where('id', '=', mediaId).executeTakeFirst();
    if (!item) throw new NotFoundError('media item not found');
    const state = await ctx.tx.selectFrom('media_categories').selectAll().where('media_id', '=', mediaId).executeTakeFirst();
    const history = await ctx.tx
      .selectFrom('category_votes as v')
      .innerJoin('users as u', 'u.id', 'v.user_id')
      .select(['v.user_id', 'u.username', 'u.country_code', 'v.category', 'v.baseline', 'v.created_at', 'v.superseded_at'])
      .where('v.media_id', '=', mediaId)
      .orderBy('v.id')
      .execute();
    return {
      mediaId,
      category: state?.category ?? null,
      baseline: state?.baseline === null || state?.baseline === undefined ? null : Number(state.baseline) === 1,
      settledAt: state?.settled_at === null || state?.settled_at === undefined ? null : Number(state.settled_at),
      quorum: this.quorum,
      disputed: Number(state?.disputed ?? 0) === 1,
      tally: await currentTally(ctx.tx, mediaId),
      assignments: (
        await ctx.tx
          .selectFrom('category_assignments as a')
          .innerJoin('agencies as g', 'g.id', 'a.agency_id')
          .select(['a.agency_id', 'g.name', 'g.country_code', 'a.actor', 'a.submission_id', 'a.category', 'a.baseline', 'a.created_at'])
          .where('a.media_id', '=', mediaId)
          .orderBy('a.id')
          .execute()
      ).map((a) => ({ agencyId: Number(a.agency_id), agencyName: a.name, countryCode: a.country_code, actor: a.actor, submissionId: a.submission_id === null ? null : Number(a.submission_id), category: Number(a.category), baseline: Number(a.baseline) === 1, at: Number(a.created_at) })),
      history: history.map((h) => ({
        userId: Number(h.user_id),
        username: h.username,
        countryCode: h.country_code,
        category: Number(h.category),
        baseline: Number(h.baseline) === 1,
        at: Number(h.created_at),
        supersededAt: h.superseded_at === null ? null : Number(h.superseded_at),
      })),
    };
  }

  /** Items whose current votes disagree, for review (keyset paging by media id). */
  async disputes(ctx: TxContext, input: { afterId?: number; limit?: number }): Promise<Array<{ mediaId: number; category: number | null; votes: number }>> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const rows = await ctx.tx
      .selectFrom('media_categories')
      .select(['media_id', 'category', 'votes'])
      .where('disputed', '=', 1)
      .where('media_id', '>', input.afterId ?? 0)
      .orderBy('media_id')
      .limit(Math.min(Math.max(1, input.limit ?? 50), 500))
      .execute();
    return rows.map((r) => ({ mediaId: Number(r.media_id), category: r.category === null ? null : Number(r.category), votes: Number(r.votes) }));
  }
}

async function currentTally(ex: Executor, mediaId: number): Promise<Array<{ category: number; baseline: boolean; votes: number }>> {
  const rows = await ex
    .selectFrom('category_votes')
    .select(['category', 'baseline', (eb) => eb.fn.countAll<number>().as('n')])
    .where('media_id', '=', mediaId)
    .where('superseded_at', 'is', null)
    .groupBy(['category', 'baseline'])
    .execute();
  return rows
    .map((r) => ({ category: Number(r.category), baseline: Number(r.baseline) === 1, votes: Number(r.n) }))
    .sort((a, b) => b.votes - a.votes || a.category - b.category || Number(a.baseline) - Number(b.baseline));
}
