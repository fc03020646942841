import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import { inRequestTransaction } from '../access.js';

const entrySchema = z.object({
  seq: z.number().int(),
  at: z.number().int(),
  actorId: z.number().int().nullable(),
  actorName: z.string(),
  actorCountry: z.string().nullable(),
  action: z.string(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  objectCountry: z.string().nullable(),
  address: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

const epochMs = z.string().regex(/^\d{1,16}$/, 'epoch milliseconds').transform(Number);
const positive = z.string().regex(/^[1-9]\d{0,15}$/).transform(Number);
const token = z.string().regex(/^[A-Za-z0-9._:*-]{1,128}$/);

const verification = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  headSeq: z.number().int(),
  headHash: z.string(),
  firstBroken: z.object({ seq: z.number().int(), reason: z.enum(['missing', 'edited', 'relinked', 'head_mismatch']), message: z.string() }).optional(),
});

/** The audit trail for auditors (and admins within their reach): query, verify, statistics. */
export function auditRoutes(access: AccessModule): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['audit'];
    const reader = access.auditReader;

    app.get(
      '/api/audit/entries',
      {
        schema: {
          tags,
          summary: 'Audit entries, newest first, by actor, object, action (`media.*` for a family) and time',
          querystring: z.strictObject({
            actorId: positive.optional(),
            actor: token.optional(),
            action: token.optional(),
            objectType: token.optional(),
            objectId: token.optional(),
            country: z.string().regex(/^[A-Z]{2}$/).optional(),
            from: epochMs.optional(),
            to: epochMs.optional(),
            before: positive.optional(),
            limit: positive.optional(),
          }),
          response: { 200: z.object({ entries: z.array(entrySchema), next: z.number().int().nullable() }) },
        },
        config: { access: 'audit.read' },
      },
      async (request) => {
        const q = request.query;
        const limit = Math.min(q.limit ?? 100, 1000);
        const entries = await inRequestTransaction(access, request, (ctx) =>
          reader.query(ctx, {
            actorId: q.actorId,
            actorName: q.actor,
            action: q.action,
            objectType: q.objectType,
            objectId: q.objectId,
            country: q.country,
            from: q.from,
            to: q.to,
            beforeSeq: q.before,
            limit,
          }),
        );
        return { entries, next: entries.length === limit ? entries[entries.length - 1].seq : null };
      },
    );

    app.get(
      '/api/audit/verify',
      { schema: { tags, summary: 'Verify the hash chain; reports the first broken link', response: { 200: verification } }, config: { access: 'audit.read' } },
      async (request) => inRequestTransaction(access, request, (ctx) => reader.verify(ctx)),
    );

    app.get(
      '/api/audit/stats',
      {
        schema: {
          tags,
          summary: 'Statistics: audited actions in a period, users by country, role and certification',
          querystring: z.strictObject({ from: epochMs.optional(), to: epochMs.optional() }),
          response: {
            200: z.object({
              from: z.number().int().nullable(),
              to: z.number().int().nullable(),
              country: z.string().nullable(),
              actions: z.record(z.string(), z.number().int()),
              users: z.array(z.object({ country: z.string(), role: z.string(), status: z.string(), certified: z.number().int(), total: z.number().int() })),
            }),
          },
        },
        config: { access: 'stats.read' },
      },
      async (request) => inRequestTransaction(access, request, (ctx) => reader.stats(ctx, request.query)),
    );
  };
}
