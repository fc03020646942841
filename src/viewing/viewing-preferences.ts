import type { RequestContext, TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { InvalidError } from '../core/errors.js';
import type { Db } from '../db/schema.js';

export const LOCALES = ['en', 'fr', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export interface ViewingPreferences {
  /** Blur radius in CSS pixels laid over redacted thumbnails (0 to MAX_BLUR). */
  readonly blur: number;
  readonly grayscale: boolean;
  readonly muteVideos: boolean;
  readonly locale: Locale | null;
  /** Null while the user has never changed the defaults. */
  readonly updatedAt: number | null;
}

export const MAX_BLUR = 40;

/** The protective defaults every user starts with (DESIGN.md section 7: blurred and grey, videos silent). */
export const DEFAULT_PREFERENCES: ViewingPreferences = { blur: 12, grayscale: true, muteVideos: true, locale: null, updatedAt: null };

/**
 * How the web application protects the person looking at the screen, per user and stored server-side: blur
 * strength and greyscale over redacted thumbnails, muted videos, interface language. Only the user changes their
 * own; every change is audited (`user.preferences`) because weakening the protection is a deliberate act.
 */
export class ViewingPreferencesService {
  constructor(
    private readonly db: Db,
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async get(ctx: RequestContext): Promise<ViewingPreferences> {
    const userId = this.userOf(ctx);
    const row = await this.db.selectFrom('viewing_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) return DEFAULT_PREFERENCES;
    return { blur: row.blur, grayscale: row.grayscale === 1, muteVideos: row.mute_videos === 1, locale: (row.locale as Locale | null) ?? null, updatedAt: Number(row.updated_at) };
  }

  async update(ctx: TxContext, change: Partial<Omit<ViewingPreferences, 'updatedAt'>>): Promise<ViewingPreferences> {
    const userId = this.userOf(ctx);
    if (change.blur !== undefined && (!Number.isInteger(change.blur) || change.blur < 0 || change.blur > MAX_BLUR)) {
      throw new InvalidError(`blur must be a whole number of pixels from 0 to ${MAX_BLUR}`);
    }
    if (change.locale !== undefined && change.locale !== null && !LOCALES.includes(change.locale)) throw new InvalidError(`locale must be one of ${LOCALES.join(', ')}`);
    const row = await ctx.tx.selectFrom('viewing_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const before: ViewingPreferences = row
      ? { blur: row.blur, grayscale: row.grayscale === 1, muteVideos: row.mute_videos === 1, locale: (row.locale as Locale | null) ?? null, updatedAt: Number(row.updated_at) }
      : DEFAULT_PREFERENCES;
    const next: ViewingPreferences = {
      blur: change.blur ?? before.blur,
      grayscale: change.grayscale ?? before.grayscale,
      muteVideos: change.muteVideos ?? before.muteVideos,
      locale: change.locale === undefined ? before.locale : change.locale,
      updatedAt: ctx.now,
    };
    const values = { blur: next.blur, grayscale: next.grayscale ? 1 : 0, mute_videos: next.muteVideos ? 1 : 0, locale: next.locale, updated_at: ctx.now };
    if (row) await ctx.tx.updateTable('viewing_preferences').set(values).where('user_id', '=', userId).execute();
    else await ctx.tx.insertInto('viewing_preferences').values({ user_id: userId, ...values }).execute();
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ['blur', 'grayscale', 'muteVideos', 'locale'] as const) if (before[key] !== next[key]) changed[key] = { from: before[key], to: next[key] };
    await this.audit.append(ctx.tx, {
      action: 'user.preferences',
      actor: ctx.actor,
      object: { type: 'user', id: userId, country: ctx.country },
      address: ctx.address,
      requestId: ctx.requestId,
      at: ctx.now,
      details: { changed },
    });
    return next;
  }

  private userOf(ctx: RequestContext): number {
    this.policy.require(ctx.actor, 'account', ctx.now);
    if (ctx.actor.kind !== 'user') throw new InvalidError('viewing preferences belong to a user account');
    return ctx.actor.userId;
  }
}
