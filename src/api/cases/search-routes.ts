import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { run, time, type CasesRouteDeps } from './common.js';

/** Search across what the caller may see (cases/search-service.ts). */
export function searchRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Search media items, investigations, series or comments, newest first, one page at a time',
          querystring: z.strictObject({
            kind: z.enum(['media', 'investigations', 'series', 'comments']),
            q: z.string().max(200).optional(),
            category: z.coerce.number().int().min(0).max(5).optional(),
            status: z.string().max(20).optional(),
            country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
            cameraSerial: z.string().max(200).optional(),
            from: z.coerce.number().int().optional(),
            to: z.coerce.number().int().optional(),
            // The previous answer's `next`: an id, or "<time>.<id>" when from/to is given (SearchQuery.before).
            before: z.string().regex(/^(-?[0-9]{1,16}\.)?[1-9][0-9]{0,15}$/, 'the previous answer\'s next').optional(),
            limit: z.coerce.number().int().min(1).max(200).optional(),
          }),
          response: {
            200: z.object({
              hits: z.array(z.object({ kind: z.enum(['media', 'investigations', 'series', 'comments']), id: z.number().int(), title: z.string(), status: z.string().nullable(), country: z.string().nullable(), at: time, investigationId: z.number().int().optional() })).readonly(),
              next: z.string().nullable(),
            }),
          },
        },
        config: { access: 'cases.read' },
      },
      async (request) => run(deps, request, (ctx) => deps.cases.search.search(ctx, request.query)),
    );
  };
}
