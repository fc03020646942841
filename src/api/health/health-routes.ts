import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthService } from './health-service.js';

const component = z.object({ ok: z.boolean(), error: z.string().optional() });

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeSeconds: z.number(),
  database: component.extend({ dialect: z.enum(['sqlite', 'postgres']), schemaVersion: z.number().int(), pendingMigrations: z.number().int() }),
  blobStore: component.extend({ kind: z.string() }),
  queue: component.extend({
    queued: z.number().int(),
    running: z.number().int(),
    failed: z.number().int(),
    workersActive: z.number().int(),
  }),
});

export type HealthReport = z.infer<typeof healthResponse>;

/** GET /api/health: public (load balancers call it), and it says nothing about the data beyond job counts. */
export function healthRoutes(health: HealthService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/health',
      {
        schema: {
          tags: ['system'],
          summary: 'Liveness and readiness: database, blob store and job queue',
          response: { 200: healthResponse, 503: healthResponse },
        },
        config: { access: 'public' },
      },
      async (_request, reply) => {
        const report = await health.report();
        return reply.code(report.status === 'ok' ? 200 : 503).send(report);
      },
    );
  };
}
