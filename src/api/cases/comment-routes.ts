import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { id, idParam, idString, run, time, type CasesRouteDeps } from './common.js';

const target = z.enum(['investigation', 'series', 'media']);
const comment = z.object({
  id: z.number().int(),
  investigationId: z.number().int(),
  targetType: target,
  targetId: z.number().int(),
  parentId: z.number().int().nullable(),
  authorId: z.number().int(),
  author: z.string(),
  body: z.string().nullable(),
  mentions: z.array(z.string()).readonly(),
  createdAt: time,
  updatedAt: time,
  edited: z.boolean(),
  deleted: z.boolean(),
});
const consultation = z.object({
  id: z.number().int(),
  investigationId: z.number().int().nullable(),
  mediaId: z.number().int().nullable(),
  askedBy: z.number().int(),
  askerCountry: z.string(),
  to: z.object({ userId: z.number().int().nullable(), agencyId: z.number().int().nullable(), countryCode: z.string().nullable() }),
  question: z.string(),
  status: z.enum(['open', 'answered', 'closed']),
  answer: z.string().nullable(),
  answeredBy: z.number().int().nullable(),
  createdAt: time,
  answeredAt: time.nullable(),
  closedAt: time.nullable(),
  responseTimeMs: z.number().int().nullable(),
  mine: z.enum(['asker', 'asked']),
});

/** Threaded comments (inside investigations) and consultations between colleagues, agencies and countries. */
export function commentRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { comments, consultations } = deps.cases;
    const tags = ['comments'];
    app.post(
      '/api/comments',
      { schema: { tags, summary: 'Comment on an investigation, or on a series or media item inside one (@username mentions)', body: z.strictObject({ investigationId: id, targetType: target, targetId: id.optional(), parentId: id.optional(), body: z.string().min(1).max(20000) }), response: { 201: comment } }, config: { access: 'cases.write' } },
      async (request, reply) => reply.code(201).send(await run(deps, request, (ctx) => comments.add(ctx, request.body))),
    );
    app.get(
      '/api/comments',
      { schema: { tags, summary: 'The comments of an investigation, optionally about one item, oldest first', querystring: z.strictObject({ investigationId: idString, targetType: target.optional(), targetId: idString.optional() }), response: { 200: z.object({ comments: z.array(comment) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ comments: await run(deps, request, (ctx) => comments.list(ctx, request.query)) }),
    );
    app.patch(
      '/api/comments/:id',
      { schema: { tags, summary: 'Edit one\'s comment (the previous text is kept)', params: idParam, body: z.strictObject({ body: z.string().min(1).max(20000) }), response: { 200: comment } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => comments.edit(ctx, request.params.id, request.body)),
    );
    app.delete('/api/comments/:id', { schema: { tags, summary: 'Delete a comment (soft, audited; author or lead)', params: idParam, response: { 200: comment } }, config: { access: 'cases.write' } }, async (request) =>
      run(deps, request, (ctx) => comments.remove(ctx, request.params.id)),
    );
    app.get(
      '/api/comments/:id/history',
      { schema: { tags, summary: 'Earlier versions of a comment', params: idParam, response: { 200: z.object({ revisions: z.array(z.object({ body: z.string(), replacedAt: time })) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ revisions: await run(deps, request, (ctx) => comments.history(ctx, request.params.id)) }),
    );

    const ctags = ['consultations'];
    const to = z.union([z.strictObject({ userId: id }), z.strictObject({ agencyId: id }), z.strictObject({ countryCode: z.string().regex(/^[A-Za-z]{2}$/) })]);
    app.post(
      '/api/consultations',
      { schema: { tags: ctags, summary: 'Ask a colleague, an agency or a country\'s unit about an investigation or an item', body: z.strictObject({ investigationId: id.optional(), mediaId: id.optional(), to, question: z.string().min(1).max(20000) }), response: { 201: consultation } }, config: { access: 'cases.write' } },
      async (request, reply) => reply.code(201).send(await run(deps, request, (ctx) => consultations.ask(ctx, request.body))),
    );
    app.get(
      '/api/consultations',
      { schema: { tags: ctags, summary: 'Consultations the caller asked or was asked', querystring: z.strictObject({ role: z.enum(['asker', 'asked']).optional(), status: z.enum(['open', 'answered', 'closed']).optional(), limit: z.coerce.number().int().min(1).max(500).optional() }), response: { 200: z.object({ consultations: z.array(consultation) }) } }, config: { access: 'cases.read' } },
      async (request) => ({ consultations: await run(deps, request, (ctx) => consultations.list(ctx, request.query)) }),
    );
    app.get('/api/consultations/:id', { schema: { tags: ctags, summary: 'A consultation (asker and asked party only)', params: idParam, response: { 200: consultation } }, config: { access: 'cases.read' } }, async (request) =>
      run(deps, request, (ctx) => consultations.get(ctx, request.params.id)),
    );
    app.post(
      '/api/consultations/:id/answer',
      { schema: { tags: ctags, summary: 'Answer (the asked party)', params: idParam, body: z.strictObject({ answer: z.string().min(1).max(20000) }), response: { 200: consultation } }, config: { access: 'cases.write' } },
      async (request) => run(deps, request, (ctx) => consultations.answer(ctx, request.params.id, request.body)),
    );
    app.post('/api/consultations/:id/close', { schema: { tags: ctags, summary: 'Close (either side)', params: idParam, response: { 200: consultation } }, config: { access: 'cases.write' } }, async (request) =>
      run(deps, request, (ctx) => consultations.close(ctx, request.params.id)),
    );
  };
}
