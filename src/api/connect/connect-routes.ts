import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import type { ConnectModule } from '../../connect/connect-module.js';
import { InvalidError } from '../../core/errors.js';
import { inRequestTransaction } from '../access.js';
import { connected, connectionQuery, idParam } from '../cases/common.js';

export interface ConnectRouteDeps {
  readonly access: AccessModule;
  readonly connect: ConnectModule;
  /** Largest photo accepted by the photo search. */
  readonly maxPhotoBytes: number;
}

const box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const victim = z.object({ id: z.number().int(), label: z.string(), status: z.string() }).nullable();
const face = z.object({ id: z.number().int(), mediaId: z.number().int(), box, score: z.number(), model: z.string(), victim });
const candidate = face.extend({ distance: z.number() });
const sceneCandidate = z.object({ mediaId: z.number().int(), distance: z.number().nullable(), inliers: z.number().int().nullable(), confirmed: z.boolean() });
const findQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional(), maxDistance: z.coerce.number().min(0).max(2).optional() });
const itemView = z.object({
  mediaId: z.number().int(),
  metadata: z.object({ sameCamera: z.array(connected).readonly(), sameModelNearTime: z.array(connected).readonly(), nearby: z.array(connected).readonly() }),
  faces: z.array(z.object({ face, matches: z.array(candidate).readonly() })).readonly(),
  scenes: z.array(sceneCandidate).readonly(),
});

/**
 * Faces, "find this person", scene search and confirmation, and the merged connections view (connect/). The
 * vector indexes are brought up to date before each request's transaction opens.
 */
export function connectRoutes(deps: ConnectRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { faces, scenes, view } = deps.connect;
    const tx = <T>(request: FastifyRequest, fn: Parameters<typeof inRequestTransaction<T>>[2]) => inRequestTransaction(deps.access, request, fn);
    const ready = () => deps.connect.ready();

    app.get(
      '/api/media/:id/faces',
      { schema: { tags: ['connections'], summary: 'Faces found in an item: boxes, detector scores, linked victim (if visible)', params: idParam, response: { 200: z.object({ mediaId: z.number().int(), analysed: z.boolean(), faces: z.array(face) }) } }, config: { access: 'media.match' } },
      async (request) => tx(request, (ctx) => faces.facesOf(ctx, request.params.id)),
    );
    app.post(
      '/api/faces/search',
      {
        schema: {
          tags: ['connections'],
          summary: 'Find this person: faces nearest to a stored face or a 128-d descriptor, ranked by distance',
          body: z.strictObject({ faceId: z.number().int().positive().optional(), descriptor: z.array(z.number()).length(128).optional(), limit: z.number().int().min(1).max(200).optional(), maxDistance: z.number().min(0).max(2).optional() }),
          response: { 200: z.object({ query: z.object({ faceId: z.number().int().nullable() }), candidates: z.array(candidate) }) },
        },
        config: { access: 'media.match' },
      },
      async (request) => {
        const { faceId, descriptor, ...options } = request.body;
        if ((faceId === undefined) === (descriptor === undefined)) throw new InvalidError('give exactly one of faceId and descriptor');
        await ready();
        return tx(request, (ctx) => faces.find(ctx, { faceId, descriptor }, options));
      },
    );
    app.post(
      '/api/faces/search/photo',
      {
        schema: {
          tags: ['connections'],
          summary: 'Find this person from a photo (multipart, one part named "file"; not stored): each face found with its candidates',
          consumes: ['multipart/form-data'],
          querystring: findQuery,
          response: { 200: z.object({ width: z.number().int(), height: z.number().int(), faces: z.array(z.object({ box, score: z.number(), candidates: z.array(candidate) })) }) },
        },
        config: { access: 'media.match' },
      },
      async (request) => {
        if (!request.isMultipart()) throw new InvalidError('send the photo as multipart/form-data with one part named "file"');
        const part = await request.file({ limits: { fileSize: deps.maxPhotoBytes, files: 1, fields: 0 } });
        if (!part) throw new InvalidError('the multipart body has no file part');
        if (part.fieldname !== 'file') throw new InvalidError(`expected a part named "file", got "${part.fieldname}"`);
        const bytes = await part.toBuffer();
        await ready();
        return faces.findByPhoto((fn) => tx(request, fn), bytes, request.query);
      },
    );
    app.put(
      '/api/faces/:id/victim',
      { schema: { tags: ['connections'], summary: 'Link a face to a victim record (audited)', params: idParam, body: z.strictObject({ personId: z.number().int().positive() }), response: { 200: face } }, config: { access: 'cases.write' } },
      async (request) => tx(request, (ctx) => faces.linkVictim(ctx, request.params.id, request.body.personId)),
    );
    app.delete(
      '/api/faces/:id/victim',
      { schema: { tags: ['connections'], summary: 'Remove a face\'s victim link (audited)', params: idParam, response: { 200: face } }, config: { access: 'cases.write' } },
      async (request) => tx(request, (ctx) => faces.unlinkVictim(ctx, request.params.id)),
    );
    app.get(
      '/api/media/:id/scenes',
      {
        schema: {
          tags: ['connections'],
          summary: 'Items that may show the same place: scene descriptor shortlist with stored ORB confirmations',
          params: idParam,
          querystring: findQuery,
          response: { 200: z.object({ mediaId: z.number().int(), analysed: z.boolean(), candidates: z.array(sceneCandidate) }) },
        },
        config: { access: 'media.match' },
      },
      async (request) => {
        await ready();
        return tx(request, (ctx) => scenes.similar(ctx, request.params.id, request.query));
      },
    );
    const side = z.object({ mediaId: z.number().int(), width: z.number().int(), height: z.number().int() });
    const point = z.tuple([z.number(), z.number()]).readonly();
    app.post(
      '/api/scenes/confirm',
      {
        schema: {
          tags: ['connections'],
          summary: 'Confirm a same-place pair by ORB feature matching and a RANSAC homography: inlier count and the matched points in both images',
          body: z.strictObject({ mediaId: z.number().int().positive(), otherId: z.number().int().positive() }),
          response: { 200: z.object({ a: side, b: side, candidates: z.number().int(), inliers: z.number().int(), confirmed: z.boolean(), pairs: z.array(z.object({ a: point, b: point })).readonly() }) },
        },
        config: { access: 'media.match' },
      },
      async (request) => scenes.confirm((fn) => tx(request, fn), request.body.mediaId, request.body.otherId),
    );
    app.get(
      '/api/connections/media/:id',
      { schema: { tags: ['connections'], summary: 'Every connection of an item: camera, time and place metadata, faces, scenes', params: idParam, querystring: connectionQuery, response: { 200: itemView } }, config: { access: 'cases.read' } },
      async (request) => {
        await ready();
        return tx(request, (ctx) => view.forItem(ctx, request.params.id, request.query));
      },
    );
    app.get(
      '/api/connections/series/:id',
      { schema: { tags: ['connections'], summary: 'Connections of every item of a series (for those who see its items)', params: idParam, querystring: connectionQuery, response: { 200: z.object({ items: z.array(itemView), truncated: z.boolean() }) } }, config: { access: 'cases.read' } },
      async (request) => {
        await ready();
        return tx(request, (ctx) => view.forSeries(ctx, request.params.id, request.query));
      },
    );
    app.get(
      '/api/connections/investigations/:id',
      { schema: { tags: ['connections'], summary: 'Connections of every item an investigation links (for those who see it)', params: idParam, querystring: connectionQuery, response: { 200: z.object({ items: z.array(itemView), truncated: z.boolean() }) } }, config: { access: 'cases.read' } },
      async (request) => {
        await ready();
        return tx(request, (ctx) => view.forInvestigation(ctx, request.params.id, request.query));
      },
    );
  };
}
