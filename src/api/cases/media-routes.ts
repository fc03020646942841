import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connected, connectionQuery, idParam, idString, run, time, type CasesRouteDeps } from './common.js';

const categorisation = z.object({
  mediaId: z.number().int(),
  category: z.number().int().nullable(),
  baseline: z.boolean().nullable(),
  settledAt: time.nullable(),
  quorum: z.number().int(),
  disputed: z.boolean(),
  tally: z.array(z.object({ category: z.number().int(), baseline: z.boolean(), votes: z.number().int() })).readonly(),
  // Decisions of a national unit on import (ariadne ingest --category): not votes; they stand until votes settle.
  assignments: z.array(z.object({ agencyId: z.number().int(), agencyName: z.string(), countryCode: z.string(), actor: z.string(), submissionId: z.number().int().nullable(), category: z.number().int(), baseline: z.boolean(), at: time })).readonly(),
  history: z.array(z.object({ userId: z.number().int(), username: z.string(), countryCode: z.string(), category: z.number().int(), baseline: z.boolean(), at: time, supersededAt: time.nullable() })).readonly(),
});
const itemConnections = z.object({ mediaId: z.number().int(), sameCamera: z.array(connected).readonly(), sameModelNearTime: z.array(connected).readonly(), nearby: z.array(connected).readonly() });

/** Categorisation votes and connections of media items, and connections per investigation. */
export function mediaRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { categorisation: cats, connections } = deps.cases;
    app.post(
      '/api/media/:id/category',
      { schema: { tags: ['categorisation'], summary: 'Vote a VICS category (0-5) and the baseline flag for an item', params: idParam, body: z.strictObject({ category: z.number().int().min(0).max(5), baseline: z.boolean() }), response: { 200: categorisation } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => cats.vote(ctx, request.params.id, request.body)),
    );
    app.get('/api/media/:id/category', { schema: { tags: ['categorisation'], summary: 'Settled category, current tally and every vote', params: idParam, response: { 200: categorisation } }, config: { access: 'cases.read' } }, async (request) =>
      run(deps, request, (ctx) => cats.get(ctx, request.params.id)),
    );
    app.get(
      '/api/categorisation/disputes',
      { schema: { tags: ['categorisation'], summary: 'Items whose current votes disagree, for review', querystring: z.strictObject({ after: idString.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }), response: { 200: z.object({ items: z.array(z.object({ mediaId: z.number().int(), category: z.number().int().nullable(), votes: z.number().int() })) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ items: await run(deps, request, (ctx) => cats.disputes(ctx, { afterId: request.query.after, limit: request.query.limit })) }),
    );
    app.get(
      '/api/media/:id/connections',
      { schema: { tags: ['connections'], summary: 'Items by the same camera, the same model near in time, or nearby GPS points', params: idParam, querystring: connectionQuery, response: { 200: itemConnections } }, config: { access: 'cases.read' } },
      async (request) => run(deps, request, (ctx) => connections.forItem(ctx, request.params.id, request.query)),
    );
    app.get(
      '/api/investigations/:id/connections',
      { schema: { tags: ['connections'], summary: 'Connections of every item the investigation links', params: idParam, querystring: connectionQuery, response: { 200: z.object({ items: z.array(itemConnections), truncated: z.boolean() }) } }, config: { access: 'cases.read' } },
      async (request) => run(deps, request, (ctx) => connections.forInvestigation(ctx, request.params.id, request.query)),
    );
  };
}
