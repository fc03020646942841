import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import type { OperationsModule } from '../../operations/operations-module.js';
import { inRequestTransaction } from '../access.js';
import { idParam, idString } from '../cases/common.js';

export interface OperationRouteDeps {
  readonly access: AccessModule;
  readonly operations: OperationsModule;
}

const int = z.number().int();
const opStatus = z.enum(['planned', 'active', 'closed']);
const itemKind = z.enum(['investigation', 'notice']);
const targetStatus = z.enum(['open', 'located', 'arrested', 'closed']);
const taskStatus = z.enum(['open', 'done', 'cancelled']);
const country = z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code');

const summary = z.object({ id: int, name: z.string(), status: opStatus, coordinatorCountry: z.string(), coordinatorAgencyId: int, createdAt: int, updatedAt: int });
const view = summary.extend({
  description: z.string(),
  createdBy: int,
  myRole: z.enum(['coordinator', 'participant']),
  participants: z.array(z.object({ countryCode: z.string(), role: z.enum(['coordinator', 'participant']), contact: z.object({ userId: int, username: z.string(), agencyId: int }), addedAt: int })).readonly(),
  items: z.array(z.object({ id: int, kind: itemKind, targetId: int, title: z.string(), countryCode: z.string(), sharedBy: int, sharedCountry: z.string(), sharedAt: int })).readonly(),
});
const target = z.object({ id: int, label: z.string(), details: z.string(), countryCode: z.string().nullable(), status: targetStatus, createdBy: int, createdAt: int, updatedAt: int });
const action = z.object({ id: int, happenedAt: int, title: z.string(), details: z.string(), countryCode: z.string(), createdBy: int, createdAt: int });
const task = z.object({ id: int, title: z.string(), details: z.string(), owner: z.object({ userId: int, username: z.string(), countryCode: z.string() }), dueAt: int.nullable(), status: taskStatus, createdBy: int, createdAt: int, updatedAt: int });
const message = z.object({ id: int, author: z.object({ userId: int, username: z.string() }), countryCode: z.string(), body: z.string(), createdAt: int });
const limit = z.coerce.number().int().min(1).max(500).optional();
const subParams = (name: string) => z.object({ id: idString, [name]: idString });

/**
 * Joint operations: participants (countries with a contact each) see an operation and what is shared into it;
 * the coordinating country manages it. Object rules in operations/operation-access.ts.
 */
export function operationRoutes(deps: OperationRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { operations, board } = deps.operations;
    const tags = ['operations'];
    const run = <T>(request: Parameters<typeof inRequestTransaction<T>>[1], fn: Parameters<typeof inRequestTransaction<T>>[2]) => inRequestTransaction(deps.access, request, fn);

    app.post(
      '/api/operations',
      { schema: { tags, summary: 'Start a joint operation coordinated by the caller\'s country (the caller is its contact)', body: z.strictObject({ name: z.string().min(1).max(200), description: z.string().max(20000).optional(), status: z.enum(['planned', 'active']).optional() }), response: { 201: view } }, config: { access: 'operations.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => operations.create(ctx, request.body))),
    );
    app.get(
      '/api/operations',
      { schema: { tags, summary: 'Operations the caller\'s country takes part in, newest first', querystring: z.strictObject({ status: opStatus.optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(200).optional() }), response: { 200: z.object({ operations: z.array(summary), next: int.nullable() }) } }, config: { access: 'operations.read' } },
      async (request) => run(request, (ctx) => operations.list(ctx, request.query)),
    );
    app.get('/api/operations/:id', { schema: { tags, summary: 'An operation: participants and shared items', params: idParam, response: { 200: view } }, config: { access: 'operations.read' } }, async (request) =>
      run(request, (ctx) => operations.get(ctx, request.params.id)),
    );
    app.patch(
      '/api/operations/:id',
      { schema: { tags, summary: 'Rename, describe, change status (coordinating country)', params: idParam, body: z.strictObject({ name: z.string().min(1).max(200).optional(), description: z.string().max(20000).optional(), status: opStatus.optional() }), response: { 200: view } }, config: { access: 'operations.write' } },
      async (request) => run(request, (ctx) => operations.update(ctx, request.params.id, request.body)),
    );
    app.put(
      '/api/operations/:id/participants/:country',
      { schema: { tags, summary: 'Add a participating country with its contact, or change its contact (coordinating country)', params: z.object({ id: idString, country }), body: z.strictObject({ contactUserId: int.positive() }), response: { 200: view } }, config: { access: 'operations.write' } },
      async (request) => run(request, (ctx) => operations.setParticipant(ctx, request.params.id, { countryCode: request.params.country, contactUserId: request.body.contactUserId })),
    );
    app.delete(
      '/api/operations/:id/participants/:country',
      { schema: { tags, summary: 'Remove a participating country (coordinating country)', params: z.object({ id: idString, country }), response: { 200: view } }, config: { access: 'operations.write' } },
      async (request) => run(request, (ctx) => operations.removeParticipant(ctx, request.params.id, request.params.country)),
    );
    app.post(
      '/api/operations/:id/items',
      { schema: { tags, summary: 'Share an investigation (its members only) or a published notice into the operation', params: idParam, body: z.strictObject({ kind: itemKind, targetId: int.positive() }), response: { 200: view } }, config: { access: 'operations.write' } },
      async (request) => run(request, (ctx) => operations.share(ctx, request.params.id, request.body)),
    );
    app.delete('/api/operations/:id/items/:itemId', { schema: { tags, summary: 'Take a shared item out', params: subParams('itemId'), response: { 200: view } }, config: { access: 'operations.write' } }, async (request) =>
      run(request, (ctx) => operations.unshare(ctx, request.params.id, request.params.itemId)),
    );

    app.get(
      '/api/operations/:id/targets',
      { schema: { tags, summary: 'Targets, oldest first', params: idParam, querystring: z.strictObject({ after: idString.optional(), limit }), response: { 200: z.object({ targets: z.array(target).readonly(), next: int.nullable() }) } }, config: { access: 'operations.read' } },
      async (request) => {
        const page = await run(request, (ctx) => board.targets(ctx, request.params.id, request.query));
        return { targets: page.items, next: page.next };
      },
    );
    app.post(
      '/api/operations/:id/targets',
      { schema: { tags, summary: 'Add a target', params: idParam, body: z.strictObject({ label: z.string().min(1).max(300), details: z.string().max(20000).optional(), countryCode: country.nullable().optional() }), response: { 201: target } }, config: { access: 'operations.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => board.addTarget(ctx, request.params.id, request.body))),
    );
    app.patch(
      '/api/operations/:id/targets/:targetId',
      { schema: { tags, summary: 'Change a target', params: subParams('targetId'), body: z.strictObject({ label: z.string().min(1).max(300).optional(), details: z.string().max(20000).optional(), countryCode: country.nullable().optional(), status: targetStatus.optional() }), response: { 200: target } }, config: { access: 'operations.write' } },
      async (request) => run(request, (ctx) => board.updateTarget(ctx, request.params.id, request.params.targetId, request.body)),
    );

    app.get(
      '/api/operations/:id/timeline',
      {
        schema: { tags, summary: 'The timeline of actions, in the order they happened', params: idParam, querystring: z.strictObject({ after: z.string().regex(/^\d{1,16}\.\d{1,16}$/, 'the previous page\'s next').optional(), limit }), response: { 200: z.object({ actions: z.array(action).readonly(), next: z.string().nullable() }) } },
        config: { access: 'operations.read' },
      },
      async (request) => {
        const page = await run(request, (ctx) => board.timeline(ctx, request.params.id, request.query));
        return { actions: page.items, next: page.next };
      },
    );
    app.post(
      '/api/operations/:id/timeline',
      { schema: { tags, summary: 'Record an action (a search, an arrest, a rescue) and when it happened', params: idParam, body: z.strictObject({ happenedAt: int.positive(), title: z.string().min(1).max(300), details: z.string().max(20000).optional() }), response: { 201: action } }, config: { access: 'operations.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => board.addAction(ctx, request.params.id, request.body))),
    );

    app.get(
      '/api/operations/:id/tasks',
      { schema: { tags, summary: 'Tasks, oldest first', params: idParam, querystring: z.strictObject({ status: taskStatus.optional(), owner: idString.optional(), after: idString.optional(), limit }), response: { 200: z.object({ tasks: z.array(task).readonly(), next: int.nullable() }) } }, config: { access: 'operations.read' } },
      async (request) => {
        const page = await run(request, (ctx) => board.tasks(ctx, request.params.id, { status: request.query.status, ownerId: request.query.owner, after: request.query.after, limit: request.query.limit }));
        return { tasks: page.items, next: page.next };
      },
    );
    app.post(
      '/api/operations/:id/tasks',
      { schema: { tags, summary: 'Add a task with an owner of a participating country and a due date', params: idParam, body: z.strictObject({ title: z.string().min(1).max(300), details: z.string().max(20000).optional(), ownerId: int.positive(), dueAt: int.positive().nullable().optional() }), response: { 201: task } }, config: { access: 'operations.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => board.addTask(ctx, request.params.id, request.body))),
    );
    app.patch(
      '/api/operations/:id/tasks/:taskId',
      {
        schema: { tags, summary: 'Change a task (its owner, its creator, the coordinating country)', params: subParams('taskId'), body: z.strictObject({ title: z.string().min(1).max(300).optional(), details: z.string().max(20000).optional(), ownerId: int.positive().optional(), dueAt: int.positive().nullable().optional(), status: taskStatus.optional() }), response: { 200: task } },
        config: { access: 'operations.write' },
      },
      async (request) => run(request, (ctx) => board.updateTask(ctx, request.params.id, request.params.taskId, request.body)),
    );

    app.get(
      '/api/operations/:id/messages',
      { schema: { tags, summary: 'The message board, newest first', params: idParam, querystring: z.strictObject({ before: idString.optional(), limit: z.coerce.number().int().min(1).max(200).optional() }), response: { 200: z.object({ messages: z.array(message), next: int.nullable() }) } }, config: { access: 'operations.read' } },
      async (request) => {
        const page = await run(request, (ctx) => board.messages(ctx, request.params.id, request.query));
        return { messages: page.items, next: page.next };
      },
    );
    app.post(
      '/api/operations/:id/messages',
      { schema: { tags, summary: 'Post to the message board', params: idParam, body: z.strictObject({ body: z.string().min(1).max(20000) }), response: { 201: message } }, config: { access: 'operations.write' } },
      async (request, reply) => reply.code(201).send(await run(request, (ctx) => board.post(ctx, request.params.id, request.body.body))),
    );
  };
}
