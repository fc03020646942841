import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { CasesModule } from '../cases/cases-module.js';
import { containsText } from '../cases/sql-text.js';
import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import type { NoticeKind, NoticeLinksTable, NoticeStatus, SubjectStatus } from '../db/schema.js';
import { parseBody, subjectName, type NoticeBody } from './notice-body.js';
import { assertEditable, PUBLIC_STATES, type NoticeAccess, type NoticeRow } from './notice-access.js';
import { listPhotos, type NoticePhoto } from './notice-photos.js';
import { listConnections, type NoticeConnection } from './notice-connections.js';

export type NoticeLinkKind = NoticeLinksTable['kind'];

export interface NoticeSummary {
  readonly id: number;
  readonly kind: NoticeKind;
  readonly reference: string;
  readonly status: NoticeStatus;
  readonly countryCode: string;
  readonly agencyId: number;
  readonly contactAgencyId: number;
  readonly subjectName: string;
  readonly subjectStatus: SubjectStatus | null;
  readonly version: number;
  readonly publishedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NoticeHistoryEntry {
  readonly action: string;
  readonly actorId: number | null;
  readonly actorCountry: string | null;
  readonly reasons: string[] | null;
  readonly version: number;
  readonly at: number;
}

export interface NoticeView extends NoticeSummary {
  readonly body: NoticeBody;
  readonly contactAgency: { readonly id: number; readonly name: string };
  readonly returnReasons: readonly string[] | null;
  readonly cancelReason: string | null;
  readonly links: ReadonlyArray<{ readonly kind: NoticeLinkKind; readonly targetId: number }>;
  readonly photos: readonly NoticePhoto[];
  /** Face/scene connections of its photos: the issuing country and global admins only (null for others). */
  readonly connections: readonly NoticeConnection[] | null;
  readonly history: readonly NoticeHistoryEntry[];
  /** The caller is of the issuing country and may change it now. */
  readonly canEdit: boolean;
  readonly canReview: boolean;
}

export interface NoticeListInput {
  readonly kind?: NoticeKind;
  readonly status?: NoticeStatus;
  readonly country?: string;
  readonly subjectStatus?: SubjectStatus;
  /** Part of the subject's name or the reference. */
  readonly q?: string;
  readonly before?: number;
  readonly limit?: number;
}

const LINK_RULES: Record<NoticeLinkKind, readonly NoticeKind[]> = { offender: ['green'], victim: ['yellow'], series: ['green', 'yellow'], investigation: ['green', 'yellow'] };

/**
 * Green and Yellow Notices: drafting, reading, listing, updating and links. The review lifecycle is in
 * notice-lifecycle.ts, photos in notice-photos.ts, connections in notice-connections.ts; visibility in
 * notice-access.ts. Every change is audited in its transaction and written to the notice's history.
 */
export class NoticeService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly access: NoticeAccess,
    private readonly cases: Pick<CasesModule, 'people' | 'series' | 'investigations'>,
  ) {}

  async create(ctx: TxContext, input: { kind: NoticeKind; body: unknown; contactAgencyId?: number }): Promise<NoticeView> {
    this.policy.require(ctx.actor, 'notices.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const body = parseBody(input.kind, input.body);
    const contact = await this.contactAgency(ctx, input.contactAgencyId ?? actor.agencyId);
    const row = await ctx.tx
      .insertInto('notices')
      .values({
        kind: input.kind,
        reference: `pending-${actor.userId}-${ctx.now}-${Math.random().toString(36).slice(2)}`,
        status: 'draft',
        country_code: actor.countryCode,
        agency_id: actor.agencyId,
        contact_agency_id: contact,
        subject_name: subjectName(body),
        subject_status: input.kind === 'yellow' ? 'missing' : null,
        body: JSON.stringify(body),
        version: 1,
        submission_id: null,
        created_by: actor.userId,
        requested_by: null,
        requested_at: null,
        reviewed_by: null,
        published_at: null,
        return_reasons: null,
        cancel_reason: null,
        cancel_requested_by: null,
        cancelled_at: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    const reference = `${input.kind === 'green' ? 'GN' : 'YN'}-${new Date(ctx.now).getUTCFullYear()}-${String(id).padStart(6, '0')}`;
    await ctx.tx.updateTable('notices').set({ reference }).where('id', '=', id).execute();
    await this.access.record(ctx, { id, country_code: actor.countryCode }, 'notice.create', 1, { kind: input.kind, reference });
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<NoticeView> {
    const row = await this.access.read(ctx, id);
    const actor = this.policy.user(ctx.actor);
    const issuing = row.country_code === actor.countryCode;
    const reviewer = this.access.isReviewer(actor, ctx.now);
    const [links, photos, events, agency] = await Promise.all([
      ctx.tx.selectFrom('notice_links').select(['kind', 'target_id']).where('notice_id', '=', id).orderBy('kind').orderBy('target_id').execute(),
      listPhotos(ctx.tx, id),
      ctx.tx.selectFrom('notice_events').selectAll().where('notice_id', '=', id).orderBy('id').execute(),
      ctx.tx.selectFrom('agencies').select(['id', 'name']).where('id', '=', row.contact_agency_id).executeTakeFirstOrThrow(),
    ]);
    return {
      ...toSummary(row),
      body: JSON.parse(row.body) as NoticeBody,
      contactAgency: { id: Number(agency.id), name: agency.name },
      returnReasons: row.return_reasons === null ? null : (JSON.parse(row.return_reasons) as string[]),
      cancelReason: row.cancel_reason,
      links: links.map((l) => ({ kind: l.kind, targetId: Number(l.target_id) })),
      photos,
      connections: issuing || reviewer ? await listConnections(ctx.tx, id) : null,
      history: events.map((e) => ({
        action: e.action,
        actorId: e.actor_id === null ? null : Number(e.actor_id),
        actorCountry: e.actor_country,
        reasons: e.reasons === null ? null : (JSON.parse(e.reasons) as string[]),
        version: Number(e.version),
        at: Number(e.at),
      })),
      canEdit: issuing && this.policy.can(actor, 'notices.write', ctx.now) && (row.status === 'draft' || row.status === 'published'),
      canReview: reviewer && (row.status === 'requested' || row.status === 'cancellation_requested'),
    };
  }

  /** Notices the caller sees, newest first; `next` is the `before` of the following page (null at the end). */
  async list(ctx: TxContext, input: NoticeListInput): Promise<{ notices: NoticeSummary[]; next: number | null }> {
    this.policy.require(ctx.actor, 'notices.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const limit = Math.min(Math.max(1, input.limit ?? 50), 200);
    let q = ctx.tx.selectFrom('notices').selectAll().orderBy('id', 'desc').limit(limit + 1);
    if (!this.access.isReviewer(actor, ctx.now)) q = q.where((eb) => eb.or([eb('status', 'in', [...PUBLIC_STATES]), eb('country_code', '=', actor.countryCode)]));
    if (input.kind) q = q.where('kind', '=', input.kind);
    if (input.status) q = q.where('status', '=', input.status);
    if (input.country) q = q.where('country_code', '=', input.country.toUpperCase());
    if (input.subjectStatus) q = q.where('subject_status', '=', input.subjectStatus);
    if (input.q && input.q.trim() !== '') {
      const text = input.q.trim();
      q = q.where((eb) => eb.or([containsText('subject_name', text), containsText('reference', text)]));
    }
    if (input.before !== undefined) q = q.where('id', '<', input.before);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return { notices: page.map(toSummary), next: rows.length > limit ? Number(page[page.length - 1].id) : null };
  }

  /**
   * The issuing country changes a draft (version unchanged) or a published notice (version + 1, the new version
   * kept in notice_versions). A requested notice waits for its review; a cancelled one is closed.
   */
  async update(ctx: TxContext, id: number, input: { body?: unknown; contactAgencyId?: number; subjectStatus?: 'missing' | 'located' }): Promise<NoticeView> {
    const row = await this.access.issuer(ctx, id);
    assertEditable(row);
    if (input.subjectStatus !== undefined && row.kind !== 'yellow') throw new InvalidError('only a Yellow Notice has a missing/located status');
    const body = input.body === undefined ? undefined : parseBody(row.kind, input.body);
    const contact = input.contactAgencyId === undefined ? undefined : await this.contactAgency(ctx, input.contactAgencyId);
    if (body === undefined && contact === undefined && input.subjectStatus === undefined) throw new InvalidError('nothing to change');
    const published = row.status === 'published';
    const version = published ? Number(row.version) + 1 : Number(row.version);
    const changes = {
      ...(body ? { body: JSON.stringify(body), subject_name: subjectName(body) } : {}),
      ...(contact !== undefined ? { contact_agency_id: contact } : {}),
      ...(input.subjectStatus !== undefined ? { subject_status: input.subjectStatus } : {}),
      version,
      updated_at: ctx.now,
    };
    await ctx.tx.updateTable('notices').set(changes).where('id', '=', id).execute();
    if (published) {
      await ctx.tx
        .insertInto('notice_versions')
        .values({ notice_id: id, version, body: changes.body ?? row.body, subject_status: changes.subject_status ?? row.subject_status, changed_by: this.policy.user(ctx.actor).userId, changed_at: ctx.now })
        .execute();
    }
    const fields = [...(body ? ['body'] : []), ...(contact !== undefined ? ['contactAgencyId'] : []), ...(input.subjectStatus !== undefined ? ['subjectStatus'] : [])];
    await this.access.record(ctx, row, 'notice.update', version, { fields, version, published, ...(input.subjectStatus !== undefined ? { subjectStatus: input.subjectStatus, previousSubjectStatus: row.subject_status } : {}) });
    return this.get(ctx, id);
  }

  /** The published versions of a notice, newest first. */
  async versions(ctx: TxContext, id: number): Promise<Array<{ version: number; body: NoticeBody; subjectStatus: SubjectStatus | null; changedBy: number | null; changedAt: number }>> {
    await this.access.read(ctx, id);
    const rows = await ctx.tx.selectFrom('notice_versions').selectAll().where('notice_id', '=', id).orderBy('version', 'desc').execute();
    return rows.map((r) => ({ version: Number(r.version), body: JSON.parse(r.body) as NoticeBody, subjectStatus: r.subject_status, changedBy: r.changed_by === null ? null : Number(r.changed_by), changedAt: Number(r.changed_at) }));
  }

  /**
   * Links an offender (Green), a victim (Yellow), a series or an investigation. The caller must see the target
   * (people and investigations by their own rules), so a link never reveals what the issuer could not see.
   */
  async link(ctx: TxContext, id: number, input: { kind: NoticeLinkKind; targetId: number }): Promise<NoticeView> {
    const row = await this.access.issuer(ctx, id);
    assertEditable(row);
    if (!LINK_RULES[input.kind].includes(row.kind)) throw new InvalidError(`a ${row.kind === 'green' ? 'Green' : 'Yellow'} Notice does not link ${input.kind}s`);
    if (input.kind === 'offender' || input.kind === 'victim') {
      const person = await this.cases.people.get(ctx, input.targetId);
      if (person.kind !== input.kind) throw new InvalidError(`person ${input.targetId} is not a ${input.kind}`);
    } else if (input.kind === 'series') await this.cases.series.get(ctx, input.targetId);
    else await this.cases.investigations.get(ctx, input.targetId);
    const dup = await ctx.tx.selectFrom('notice_links').select('notice_id').where('notice_id', '=', id).where('kind', '=', input.kind).where('target_id', '=', input.targetId).executeTakeFirst();
    if (dup) throw new ConflictError(`that ${input.kind} is already linked`);
    await ctx.tx.insertInto('notice_links').values({ notice_id: id, kind: input.kind, target_id: input.targetId, added_by: this.policy.user(ctx.actor).userId, added_at: ctx.now }).execute();
    const version = await this.access.touch(ctx, row);
    await this.access.record(ctx, row, 'notice.link', version, { kind: input.kind, targetId: input.targetId, version });
    return this.get(ctx, id);
  }

  async unlink(ctx: TxContext, id: number, input: { kind: NoticeLinkKind; targetId: number }): Promise<NoticeView> {
    const row = await this.access.issuer(ctx, id);
    assertEditable(row);
    const removed = await ctx.tx.deleteFrom('notice_links').where('notice_id', '=', id).where('kind', '=', input.kind).where('target_id', '=', input.targetId).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError('no such link');
    const version = await this.access.touch(ctx, row);
    await this.access.record(ctx, row, 'notice.unlink', version, { kind: input.kind, targetId: input.targetId, version });
    return this.get(ctx, id);
  }

  /** The contact unit: an agency of the caller's own country. */
  private async contactAgency(ctx: TxContext, agencyId: number): Promise<number> {
    const actor = this.policy.user(ctx.actor);
    const agency = await ctx.tx.selectFrom('agencies').select(['id', 'country_code']).where('id', '=', agencyId).executeTakeFirst();
    if (!agency || agency.country_code !== actor.countryCode) throw new NotFoundError('contact unit (agency) not found in your country');
    return Number(agency.id);
  }
}

export function toSummary(r: NoticeRow): NoticeSummary {
  return {
    id: Number(r.id),
    kind: r.kind,
    reference: r.reference,
    status: r.status,
    countryCode: r.country_code,
    agencyId: Number(r.agency_id),
    contactAgencyId: Number(r.contact_agency_id),
    subjectName: r.subject_name,
    subjectStatus: r.subject_status,
    version: Number(r.version),
    publishedAt: r.published_at === null ? null : Number(r.published_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
