import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import { InvalidError } from '../../core/errors.js';
import type { NoticesModule } from '../../notices/notices-module.js';
import { contextOf, inRequestTransaction } from '../access.js';
import { idParam, idString } from '../cases/common.js';

export interface NoticeRouteDeps {
  readonly access: AccessModule;
  readonly notices: NoticesModule;
  readonly maxUploadBytes: number;
}

const kind = z.enum(['green', 'yellow']);
const status = z.enum(['draft', 'requested', 'published', 'cancellation_requested', 'cancelled']);
const subjectStatus = z.enum(['missing', 'located', 'cancelled']);
const linkKind = z.enum(['offender', 'victim', 'series', 'investigation']);
const int = z.number().int();
const body = z.record(z.string(), z.unknown()).describe('Green: {person, convictions, modusOperandi, riskAssessment, knownTravel}; Yellow: {person, disappearance, circumstances, guardiansContact} (docs/ARCHITECTURE.md)');

const summary = z.object({
  id: int,
  kind,
  reference: z.string(),
  status,
  countryCode: z.string(),
  agencyId: int,
  contactAgencyId: int,
  subjectName: z.string(),
  subjectStatus: subjectStatus.nullable(),
  version: int,
  publishedAt: int.nullable(),
  createdAt: int,
  updatedAt: int,
});
const photo = z.object({ id: int, caption: z.string(), fileName: z.string(), status: z.enum(['pending', 'done', 'error']), mediaId: int.nullable(), sha256: z.string().nullable(), error: z.string().nullable(), addedAt: int });
const connection = z.object({ id: int, noticeId: int, mediaId: int, victimId: int, matchedMediaId: int.nullable(), kind: z.string(), score: z.number(), reportedBy: z.string(), createdAt: int });
const view = summary.extend({
  body,
  contactAgency: z.object({ id: int, name: z.string() }),
  returnReasons: z.array(z.string()).readonly().nullable(),
  cancelReason: z.string().nullable(),
  links: z.array(z.object({ kind: linkKind, targetId: int })).readonly(),
  photos: z.array(photo).readonly(),
  connections: z.array(connection).readonly().nullable(),
  history: z.array(z.object({ action: z.string(), actorId: int.nullable(), actorCountry: z.string().nullable(), reasons: z.array(z.string()).nullable(), version: int, at: int })).readonly(),
  canEdit: z.boolean(),
  canReview: z.boolean(),
});
const reasons = z.strictObject({ reasons: z.array(z.string().min(1).max(2000)).min(1).max(20) });

/**
 * Green and Yellow Notices: drafting and reading (`notices.read`/`notices.write`), the review by a global admin
 * (`notices.review`), photos (multipart, hashed like any media) and links. Object rules in notices/notice-access.ts.
 */
export function noticeRoutes(deps: NoticeRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { notices, lifecycle, photos } = deps.notices;
    const tags = ['notices'];
    const run = <T>(request: Parameters<typeof contextOf>[0], fn: Parameters<typeof inRequestTransaction<T>>[2]) => inRequestTransaction(deps.access, request, fn);

    app.post(
      '/api/notices',
      { schema: { tags, summary: 'Draft a notice for the caller\'s country', body: z.strictObject({ kind, body, contactAgencyId: int.positive().optional() }), response: { 201: view } }, config: { access: 'notices.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => notices.create(ctx, request.body))),
    );
    app.get(
      '/api/notices',
      {
        schema: {
          tags,
          summary: 'Notices the caller sees, newest first (published ones; drafts of the own country; all for global admins)',
          querystring: z.strictObject({ kind: kind.optional(), status: status.optional(), country: z.string().regex(/^[A-Za-z]{2}$/).optional(), subjectStatus: subjectStatus.optional(), q: z.string().max(200).optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(200).optional() }),
          response: { 200: z.object({ notices: z.array(summary), next: int.nullable() }) },
        },
        config: { access: 'notices.read' },
      },
      async (request) => run(request, (ctx) => notices.list(ctx, request.query)),
    );
    app.get('/api/notices/:id', { schema: { tags, summary: 'A notice with its photos, links and history', params: idParam, response: { 200: view } }, config: { access: 'notices.read' } }, async (request) =>
      run(request, (ctx) => notices.get(ctx, request.params.id)),
    );
    app.patch(
      '/api/notices/:id',
      {
        schema: { tags, summary: 'Change a draft or a published notice (issuing country; a published one gets a new version)', params: idParam, body: z.strictObject({ body: body.optional(), contactAgencyId: int.positive().optional(), subjectStatus: z.enum(['missing', 'located']).optional() }), response: { 200: view } },
        config: { access: 'notices.write' },
      },
      async (request) => run(request, (ctx) => notices.update(ctx, request.params.id, request.body)),
    );
    app.get(
      '/api/notices/:id/versions',
      { schema: { tags, summary: 'Published versions, newest first', params: idParam, response: { 200: z.object({ versions: z.array(z.object({ version: int, body, subjectStatus: subjectStatus.nullable(), changedBy: int.nullable(), changedAt: int })) }) } }, config: { access: 'notices.read' } },
      async (request) => ({ versions: await run(request, (ctx) => notices.versions(ctx, request.params.id)) }),
    );

    app.post('/api/notices/:id/request', { schema: { tags, summary: 'Ask a global admin to publish the draft', params: idParam, response: { 200: view } }, config: { access: 'notices.write' } }, async (request) =>
      run(request, (ctx) => lifecycle.request(ctx, request.params.id)),
    );
    app.post('/api/notices/:id/publish', { schema: { tags, summary: 'Publish a requested notice (a global admin who neither drafted nor requested it)', params: idParam, response: { 200: view } }, config: { access: 'notices.review' } }, async (request) =>
      run(request, (ctx) => lifecycle.publish(ctx, request.params.id)),
    );
    app.post('/api/notices/:id/return', { schema: { tags, summary: 'Return a requested notice to its country with reasons (it is a draft again)', params: idParam, body: reasons, response: { 200: view } }, config: { access: 'notices.review' } }, async (request) =>
      run(request, (ctx) => lifecycle.return(ctx, request.params.id, request.body.reasons)),
    );
    app.post(
      '/api/notices/:id/cancellation',
      { schema: { tags, summary: 'Ask to cancel (issuing country): a draft is withdrawn at once, a published notice awaits a global admin', params: idParam, body: z.strictObject({ reason: z.string().min(1).max(2000) }), response: { 200: view } }, config: { access: 'notices.write' } },
      async (request) => run(request, (ctx) => lifecycle.requestCancellation(ctx, request.params.id, request.body.reason)),
    );
    app.post('/api/notices/:id/cancellation/confirm', { schema: { tags, summary: 'Confirm a requested cancellation', params: idParam, response: { 200: view } }, config: { access: 'notices.review' } }, async (request) =>
      run(request, (ctx) => lifecycle.confirmCancellation(ctx, request.params.id)),
    );
    app.post('/api/notices/:id/cancellation/decline', { schema: { tags, summary: 'Decline a requested cancellation with reasons', params: idParam, body: reasons, response: { 200: view } }, config: { access: 'notices.review' } }, async (request) =>
      run(request, (ctx) => lifecycle.declineCancellation(ctx, request.params.id, request.body.reasons)),
    );

    app.post(
      '/api/notices/:id/links',
      { schema: { tags, summary: 'Link an offender (Green), a victim (Yellow), a series or an investigation the caller sees', params: idParam, body: z.strictObject({ kind: linkKind, targetId: int.positive() }), response: { 200: view } }, config: { access: 'notices.write' } },
      async (request) => run(request, (ctx) => notices.link(ctx, request.params.id, request.body)),
    );
    app.delete(
      '/api/notices/:id/links/:kind/:targetId',
      { schema: { tags, summary: 'Unlink', params: z.object({ id: idString, kind: linkKind, targetId: idString }), response: { 200: view } }, config: { access: 'notices.write' } },
      async (request) => run(request, (ctx) => notices.unlink(ctx, request.params.id, { kind: request.params.kind, targetId: request.params.targetId })),
    );

    app.post(
      '/api/notices/:id/photos',
      {
        schema: {
          tags,
          summary: 'Add a photo of the subject (multipart, one file part); it is stored encrypted and hashed like any media',
          params: idParam,
          querystring: z.strictObject({ caption: z.string().max(500).optional() }),
          response: { 201: photo },
        },
        config: { access: 'notices.write' },
      },
      async (request, reply) => {
        if (!request.isMultipart()) throw new InvalidError('send the photo as multipart/form-data');
        const part = await request.file({ limits: { fileSize: deps.maxUploadBytes, files: 1 } });
        if (!part) throw new InvalidError('the request held no file part');
        // A photo over the limit fails its stream, so nothing is stored or linked.
        part.file.once('limit', () => part.file.destroy(new InvalidError(`the photo is larger than the ${Math.round(deps.maxUploadBytes / 1048576)} MiB limit`)));
        return reply.code(201).send(await photos.add(contextOf(request), request.params.id, { fileName: part.filename || 'photo', caption: request.query.caption }, part.file));
      },
    );
    app.get('/api/notices/:id/photos', { schema: { tags, summary: 'The photos of a notice (media ids once hashed)', params: idParam, response: { 200: z.object({ photos: z.array(photo) }) } }, config: { access: 'notices.read' } }, async (request) => ({
      photos: await photos.list(contextOf(request), request.params.id),
    }));
    app.delete(
      '/api/notices/:id/photos/:photoId',
      { schema: { tags, summary: 'Take a photo off the notice (the stored item stays)', params: z.object({ id: idString, photoId: idString }), response: { 204: z.null() } }, config: { access: 'notices.write' } },
      async (request, reply) => {
        await photos.remove(contextOf(request), request.params.id, request.params.photoId);
        return reply.code(204).send(null);
      },
    );
  };
}
