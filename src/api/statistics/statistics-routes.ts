import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import { METRICS, StatisticsService, type Metric } from '../../statistics/statistics-service.js';
import { inRequestTransaction } from '../access.js';

export interface StatisticsRouteDeps {
  readonly access: AccessModule;
  readonly statistics: StatisticsService;
}

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');
const metrics = Object.fromEntries(METRICS.map((m) => [m, z.number().int()])) as Record<Metric, z.ZodNumber>;
const row = z.object({ country: z.string(), month: z.string(), ...metrics });

/** Statistics per country and month (`stats.read`: global admins and auditors all, a country admin its own), JSON or CSV. */
export function statisticsRoutes(deps: StatisticsRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/stats',
      {
        schema: {
          tags: ['statistics'],
          summary: 'Figures per country and month (default: the last 12 months); format=csv for text/csv',
          querystring: z.strictObject({ from: month.optional(), to: month.optional(), country: z.string().regex(/^[A-Za-z]{2}$/).optional(), format: z.enum(['json', 'csv']).default('json') }),
          response: { 200: z.union([z.object({ from: z.string(), to: z.string(), country: z.string().nullable(), rows: z.array(row), totals: z.object(metrics), generatedAt: z.number().int() }), z.string().describe('text/csv when format=csv')]) },
        },
        config: { access: 'stats.read' },
      },
      async (request, reply) => {
        const { format, ...query } = request.query;
        const stats = await inRequestTransaction(deps.access, request, (ctx) => deps.statistics.compute(ctx, query));
        if (format === 'csv') {
          const name = `ariadne-stats-${stats.country ?? 'all'}-${stats.from}-${stats.to}.csv`;
          return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(StatisticsService.toCsv(stats));
        }
        return reply.send(stats);
      },
    );
  };
}
