import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { id, idParam, idString, run, time, type CasesRouteDeps } from './common.js';

const role = z.enum(['lead', 'member', 'viewer']);
const invStatus = z.enum(['open', 'closed', 'archived']);

const investigation = z.object({
  id: z.number().int(),
  title: z.string(),
  reference: z.string(),
  agencyId: z.number().int(),
  countryCode: z.string(),
  status: invStatus,
  createdBy: z.number().int(),
  createdAt: time,
  updatedAt: time,
});

export const investigationDetail = investigation.extend({
  myRole: role.nullable(),
  members: z.array(z.object({ userId: z.number().int(), username: z.string(), countryCode: z.string(), role })).readonly(),
  shares: z.array(z.object({ id: z.number().int(), agencyId: z.number().int().nullable(), countryCode: z.string().nullable() })).readonly(),
  links: z
    .array(z.object({ id: z.number().int(), kind: z.enum(['submission', 'media', 'series', 'person', 'location', 'tag']), targetId: z.number().int().nullable(), label: z.string().nullable(), lat: z.number().nullable(), lon: z.number().nullable() }))
    .readonly(),
});

const linkBody = z.union([
  z.strictObject({ kind: z.enum(['submission', 'media', 'series', 'person']), targetId: id }),
  z.strictObject({ kind: z.literal('tag'), label: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('location'), label: z.string().min(1).max(200), lat: z.number().min(-90).max(90).optional(), lon: z.number().min(-180).max(180).optional() }),
]);

/**
 * Investigations: create, list what one sees, read, change (members), manage members and sharing (leads), link
 * submissions, media, series, people, locations and tags. Invisible investigations answer 404.
 */
export function investigationRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['investigations'];
    const svc = deps.cases.investigations;
    const detail = { 200: investigationDetail };

    app.post(
      '/api/investigations',
      { schema: { tags, summary: 'Open an investigation (the caller becomes its lead)', body: z.strictObject({ title: z.string().min(1).max(500), reference: z.string().max(500).optional(), tags: z.array(z.string().min(1).max(200)).max(50).optional() }), response: { 201: investigationDetail } }, config: { access: 'cases.write' } },
      async (request, reply) => reply.code(201).send(await run(deps, request, (ctx) => svc.create(ctx, request.body))),
    );
    app.get(
      '/api/investigations',
      { schema: { tags, summary: 'Investigations the caller sees, newest first', querystring: z.strictObject({ status: invStatus.optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }), response: { 200: z.object({ investigations: z.array(investigation) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ investigations: await run(deps, request, (ctx) => svc.list(ctx, { status: request.query.status, beforeId: request.query.before, limit: request.query.limit })) }),
    );
    app.get('/api/investigations/:id', { schema: { tags, summary: 'An investigation with members, shares and links', params: idParam, response: detail }, config: { access: 'cases.read' } }, async (request) =>
      run(deps, request, (ctx) => svc.get(ctx, request.params.id)),
    );
    app.patch(
      '/api/investigations/:id',
      { schema: { tags, summary: 'Change title or reference (members) or status (leads)', params: idParam, body: z.strictObject({ title: z.string().min(1).max(500).optional(), reference: z.string().max(500).optional(), status: invStatus.optional() }), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.update(ctx, request.params.id, request.body)),
    );
    app.put(
      '/api/investigations/:id/members/:userId',
      { schema: { tags, summary: 'Add a member or change a member\'s role (leads)', params: z.object({ id: idString, userId: idString }), body: z.strictObject({ role }), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.setMember(ctx, request.params.id, { userId: request.params.userId, role: request.body.role })),
    );
    app.delete(
      '/api/investigations/:id/members/:userId',
      { schema: { tags, summary: 'Remove a member (leads; the last lead stays)', params: z.object({ id: idString, userId: idString }), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.removeMember(ctx, request.params.id, request.params.userId)),
    );
    app.post(
      '/api/investigations/:id/shares',
      { schema: { tags, summary: 'Share with a named agency or a whole country (leads)', params: idParam, body: z.union([z.strictObject({ agencyId: id }), z.strictObject({ countryCode: z.string().regex(/^[A-Za-z]{2}$/) })]), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.share(ctx, request.params.id, request.body)),
    );
    app.delete(
      '/api/investigations/:id/shares/:shareId',
      { schema: { tags, summary: 'Withdraw a share (leads)', params: z.object({ id: idString, shareId: idString }), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.unshare(ctx, request.params.id, request.params.shareId)),
    );
    app.post(
      '/api/investigations/:id/links',
      { schema: { tags, summary: 'Link a submission, media item, series, person, location or tag (members)', params: idParam, body: linkBody, response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.link(ctx, request.params.id, request.body)),
    );
    app.delete(
      '/api/investigations/:id/links/:linkId',
      { schema: { tags, summary: 'Remove a link (members)', params: z.object({ id: idString, linkId: idString }), response: detail }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => svc.unlink(ctx, request.params.id, request.params.linkId)),
    );
  };
}
