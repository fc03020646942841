import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { id, idParam, idString, run, statusSchema, time, type CasesRouteDeps } from './common.js';

const summary = z.object({
  id: z.number().int(),
  name: z.string(),
  identificationStatus: statusSchema,
  agencyId: z.number().int(),
  countryCode: z.string(),
  countries: z.array(z.string()).readonly(),
  items: z.number().int(),
  updatedAt: time,
});
const seriesView = summary.extend({
  detail: z
    .object({
      description: z.string(),
      mediaIds: z.array(z.number().int()).readonly(),
      people: z.array(z.object({ id: z.number().int(), kind: z.enum(['victim', 'offender']), label: z.string(), status: statusSchema })).readonly(),
    })
    .nullable(),
  canEdit: z.boolean(),
});

const notice = z.object({ kind: z.enum(['green', 'yellow']), reference: z.string().max(200) });
const personFields = {
  label: z.string().min(1).max(200),
  ageMin: z.number().int().min(0).max(120).nullable().optional(),
  ageMax: z.number().int().min(0).max(120).nullable().optional(),
  sex: z.enum(['female', 'male', 'unknown']).optional(),
  descriptors: z.string().max(5000).optional(),
  notes: z.string().max(20000).optional(),
  status: statusSchema.optional(),
  notice: notice.nullable().optional(),
};
const person = z.object({
  id: z.number().int(),
  kind: z.enum(['victim', 'offender']),
  label: z.string(),
  agencyId: z.number().int(),
  countryCode: z.string(),
  ageMin: z.number().int().nullable(),
  ageMax: z.number().int().nullable(),
  sex: z.enum(['female', 'male', 'unknown']),
  descriptors: z.string(),
  notes: z.string(),
  identified: z.boolean(),
  status: statusSchema,
  notice: notice.nullable(),
  links: z.array(z.object({ type: z.enum(['series', 'media']), id: z.number().int() })).readonly(),
  updatedAt: time,
});
const linkTarget = z.strictObject({ type: z.enum(['series', 'media']), id });

/**
 * Series (summaries for every certified investigator, details for the owning agency and investigations linking
 * them) and people (victims and offenders; the owning agency and investigations linking them).
 */
export function seriesRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { series, people } = deps.cases;
    const tags = ['series'];

    app.post(
      '/api/series',
      { schema: { tags, summary: 'Create a series owned by the caller\'s agency', body: z.strictObject({ name: z.string().min(1).max(200), description: z.string().max(20000).optional(), identificationStatus: statusSchema.optional(), mediaIds: z.array(id).max(1000).optional() }), response: { 201: seriesView } }, config: { access: 'cases.write' } },
      async (request, reply) => reply.code(201).send(await run(deps, request, (ctx) => series.create(ctx, request.body))),
    );
    app.get(
      '/api/series',
      { schema: { tags, summary: 'Series summaries, newest first', querystring: z.strictObject({ status: statusSchema.optional(), name: z.string().max(200).optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }), response: { 200: z.object({ series: z.array(summary) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ series: await run(deps, request, (ctx) => series.list(ctx, { ...request.query, beforeId: request.query.before })) }),
    );
    app.get('/api/series/:id', { schema: { tags, summary: 'A series (details when the caller may see them)', params: idParam, response: { 200: seriesView } }, config: { access: 'cases.read' } }, async (request) =>
      run(deps, request, (ctx) => series.get(ctx, request.params.id)),
    );
    app.patch(
      '/api/series/:id',
      { schema: { tags, summary: 'Rename, describe or set the identification status (owning agency)', params: idParam, body: z.strictObject({ name: z.string().min(1).max(200).optional(), description: z.string().max(20000).optional(), identificationStatus: statusSchema.optional() }), response: { 200: seriesView } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => series.update(ctx, request.params.id, request.body)),
    );
    app.post(
      '/api/series/:id/media',
      { schema: { tags, summary: 'Add media items (their matches then report the series)', params: idParam, body: z.strictObject({ mediaIds: z.array(id).min(1).max(1000) }), response: { 200: seriesView } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => series.addMedia(ctx, request.params.id, request.body.mediaIds)),
    );
    app.delete(
      '/api/series/:id/media/:mediaId',
      { schema: { tags, summary: 'Remove a media item from the series', params: z.object({ id: idString, mediaId: idString }), response: { 200: seriesView } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => series.removeMedia(ctx, request.params.id, request.params.mediaId)),
    );

    const ptags = ['people'];
    app.post(
      '/api/people',
      { schema: { tags: ptags, summary: 'Record a victim or an offender (owned by the caller\'s agency)', body: z.strictObject({ kind: z.enum(['victim', 'offender']), ...personFields }), response: { 201: person } }, config: { access: 'cases.write' } },
      async (request, reply) => reply.code(201).send(await run(deps, request, (ctx) => people.create(ctx, request.body))),
    );
    app.get(
      '/api/people',
      {
        schema: {
          tags: ptags,
          summary: 'Victims and offenders the caller sees (own agency, or linked by a visible investigation), newest first',
          querystring: z.strictObject({ kind: z.enum(['victim', 'offender']).optional(), status: statusSchema.optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(200).optional() }),
          response: { 200: z.object({ people: z.array(person) }) },
        },
        config: { access: 'cases.read' },
      },
      async (request) => ({ people: await run(deps, request, (ctx) => people.list(ctx, { kind: request.query.kind, status: request.query.status, beforeId: request.query.before, limit: request.query.limit })) }),
    );
    app.get('/api/people/:id', { schema: { tags: ptags, summary: 'A person record', params: idParam, response: { 200: person } }, config: { access: 'cases.read' } }, async (request) =>
      run(deps, request, (ctx) => people.get(ctx, request.params.id)),
    );
    app.patch(
      '/api/people/:id',
      { schema: { tags: ptags, summary: 'Change a person record; identifying a victim raises its series\' status', params: idParam, body: z.strictObject({ ...personFields, label: personFields.label.optional() }), response: { 200: person } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => people.update(ctx, request.params.id, request.body)),
    );
    app.post(
      '/api/people/:id/links',
      { schema: { tags: ptags, summary: 'Link the person to a series or media item', params: idParam, body: linkTarget, response: { 200: person } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => people.link(ctx, request.params.id, request.body)),
    );
    app.delete(
      '/api/people/:id/links/:type/:targetId',
      { schema: { tags: ptags, summary: 'Unlink the person', params: z.object({ id: idString, type: z.enum(['series', 'media']), targetId: idString }), response: { 200: person } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => people.unlink(ctx, request.params.id, { type: request.params.type, id: request.params.targetId })),
    );
  };
}
