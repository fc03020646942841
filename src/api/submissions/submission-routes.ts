import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidError } from '../../core/errors.js';
import { reportToCsv, reportToHtml } from '../../ingest/report-formats.js';
import type { ReportService } from '../../ingest/report-service.js';
import type { AddedFile, SubmissionService } from '../../ingest/submission-service.js';
import { contextOf } from '../access.js';

const id = z.object({ id: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a submission id').transform(Number) });

const submissionSchema = z.object({
  id: z.number().int(),
  userId: z.number().int().nullable(),
  agencyId: z.number().int().nullable(),
  countryCode: z.string().nullable(),
  actorName: z.string(),
  reference: z.string(),
  device: z.string(),
  notes: z.string(),
  status: z.enum(['open', 'sealed', 'complete']),
  createdAt: z.number().int(),
  sealedAt: z.number().int().nullable(),
  completedAt: z.number().int().nullable(),
});

const progressSchema = z.object({ files: z.number().int(), pending: z.number().int(), done: z.number().int(), errors: z.number().int() });

export interface SubmissionRouteDeps {
  readonly submissions: SubmissionService;
  readonly reports: ReportService;
  /** Most files in one multipart request. */
  readonly maxFilesPerRequest: number;
  readonly maxUploadBytes: number;
}

/**
 * Submissions: create one, stream files into it (multipart, each part's filename is its path in the seizure),
 * seal it, follow its progress and read its triage report (JSON, CSV or HTML). Visible to the submitter, the
 * submitter's agency and global admins; anyone else gets 404.
 */
export function submissionRoutes(deps: SubmissionRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['submissions'];
    const { submissions, reports } = deps;

    app.post(
      '/api/submissions',
      {
        schema: {
          tags,
          summary: 'Start a submission (a seizure, a folder, an upload)',
          body: z.strictObject({ reference: z.string().max(2000).optional(), device: z.string().max(2000).optional(), notes: z.string().max(2000).optional() }),
          response: { 201: submissionSchema },
        },
        config: { access: 'media.upload' },
      },
      async (request, reply) => reply.code(201).send(await submissions.create(contextOf(request), request.body)),
    );

    app.get(
      '/api/submissions',
      { schema: { tags, summary: 'My and my agency\'s submissions, newest first', response: { 200: z.object({ submissions: z.array(submissionSchema) }) } }, config: { access: 'media.match' } },
      async (request) => ({ submissions: await submissions.list(contextOf(request)) }),
    );

    app.get(
      '/api/submissions/:id',
      { schema: { tags, summary: 'A submission and its progress', params: id, response: { 200: z.object({ submission: submissionSchema, progress: progressSchema }) } }, config: { access: 'media.match' } },
      async (request) => {
        const ctx = contextOf(request);
        return { submission: await submissions.get(ctx, request.params.id), progress: await submissions.progress(ctx, request.params.id) };
      },
    );

    app.post(
      '/api/submissions/:id/files',
      {
        schema: {
          tags,
          summary: 'Upload files into an open submission',
          description: '`multipart/form-data` with one part per file; each part\'s filename is the file\'s path in the seizure (folders allowed, e.g. `DCIM/100/IMG_1.jpg`). Archives are expanded after upload.',
          params: id,
          response: { 200: z.object({ files: z.array(z.object({ fileId: z.number().int(), path: z.string(), sha256: z.string().nullable(), added: z.boolean() })) }) },
        },
        config: { access: 'media.upload' },
      },
      async (request) => {
        if (!request.isMultipart()) throw new InvalidError('send the files as multipart/form-data');
        const ctx = contextOf(request);
        const submissionId = request.params.id;
        await submissions.get(ctx, submissionId);
        const added: AddedFile[] = [];
        const parts = request.files({ limits: { fileSize: deps.maxUploadBytes, files: deps.maxFilesPerRequest } });
        for await (const part of parts) {
          const path = part.filename || part.fieldname;
          let truncated = false;
          part.file.once('limit', () => {
            truncated = true;
          });
          const result = await submissions.addFile(ctx, submissionId, { path }, part.file);
          if (truncated || part.file.truncated) throw new InvalidError(`"${path}" is larger than the ${Math.round(deps.maxUploadBytes / 1048576)} MiB limit: use a resumable upload`);
          added.push(result);
        }
        if (added.length === 0) throw new InvalidError('the request held no file part');
        return { files: added };
      },
    );

    app.post(
      '/api/submissions/:id/seal',
      { schema: { tags, summary: 'No more files: the submission completes when every file is processed', params: id, response: { 200: submissionSchema } }, config: { access: 'media.upload' } },
      async (request) => submissions.seal(contextOf(request), request.params.id),
    );

    app.get(
      '/api/submissions/:id/report',
      {
        schema: {
          tags,
          summary: 'The triage report: what is known and what is new (JSON, CSV or HTML)',
          params: id,
          querystring: z.strictObject({ format: z.enum(['json', 'csv', 'html']).default('json') }),
        },
        config: { access: 'media.match' },
      },
      async (request, reply) => {
        const report = await reports.report(contextOf(request), request.params.id);
        const format = request.query.format;
        const name = `ariadne-submission-${report.submission.id}`;
        if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(reportToCsv(report));
        if (format === 'html') return reply.type('text/html; charset=utf-8').header('content-disposition', `attachment; filename="${name}.html"`).send(reportToHtml(report));
        return reply.send(report);
      },
    );
  };
}
