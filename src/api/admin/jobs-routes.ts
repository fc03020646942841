import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import type { JobAdmin } from '../../jobs/job-admin.js';
import type { JobRecord } from '../../jobs/job-queue.js';
import { inRequestTransaction } from '../access.js';
import { idParam } from '../auth/auth-schemas.js';

export interface JobRouteDeps {
  readonly access: AccessModule;
  readonly jobs: JobAdmin;
}

const STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

const jobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  status: z.enum(STATUSES),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  runAt: z.number().int(),
  lastError: z.string().nullable().describe('why the last attempt failed (for a dead job: why it died)'),
  createdAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});

function view(job: JobRecord): z.infer<typeof jobSchema> {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt,
    lastError: job.lastError,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}

/** The background job queue for global admins: dead (failed) jobs and their errors, and an audited retry. */
export function jobRoutes(deps: JobRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['admin'];

    app.get(
      '/api/admin/jobs',
      {
        schema: {
          tags,
          summary: 'Background jobs, newest first (global admins); `status=failed` lists dead jobs',
          querystring: z.strictObject({
            status: z.enum(STATUSES).optional(),
            kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/).optional(),
            limit: z.string().regex(/^[1-9][0-9]{0,3}$/).transform(Number).optional().describe('at most 1000 (default 100)'),
          }),
          response: { 200: z.object({ jobs: z.array(jobSchema) }) },
        },
        config: { access: 'users.admin' },
      },
      async (request) => {
        const { status, kind, limit } = request.query;
        const jobs = await inRequestTransaction(deps.access, request, (ctx) => deps.jobs.list(ctx, { status, kind, limit: Math.min(limit ?? 100, 1000) }));
        return { jobs: jobs.map(view) };
      },
    );

    app.post(
      '/api/admin/jobs/:id/retry',
      {
        schema: {
          tags,
          summary: 'Queue a failed or cancelled job again with fresh attempts (global admins; audited)',
          params: idParam,
          response: { 200: jobSchema },
        },
        config: { access: 'users.admin' },
      },
      async (request) => view(await inRequestTransaction(deps.access, request, (ctx) => deps.jobs.retry(ctx, request.params.id))),
    );
  };
}
