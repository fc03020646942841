import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Notification } from '../../notifications/notification-service.js';
import { actorOf } from '../access.js';
import { idString, run, time, type CasesRouteDeps } from './common.js';

const notification = z.object({
  id: z.number().int(),
  kind: z.enum(['mention', 'consultation', 'consultation.answer', 'series.matched', 'submission.matched', 'notice.review', 'notice.connection', 'operation.update']),
  message: z.string(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: time,
  readAt: time.nullable(),
});

/**
 * Notifications: list, mark read, and a live stream (server-sent events). The stream sends each new notification as
 * an event `notification` with the id as the event id, so a reconnecting EventSource resumes after `Last-Event-ID`;
 * see notifications/notification-streams.ts for how it learns of notifications from other processes. Open streams
 * are ended when the server closes, so they never hold a graceful shutdown.
 */
export function notificationRoutes(deps: CasesRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const { notifications, streams } = deps.cases;
    const tags = ['notifications'];
    app.addHook('preClose', async () => streams.closeAll());

    app.get(
      '/api/notifications',
      { schema: { tags, summary: 'The caller\'s notifications, newest first', querystring: z.strictObject({ unread: z.enum(['true', 'false']).optional(), before: idString.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }), response: { 200: z.object({ notifications: z.array(notification), unread: z.number().int() }) } }, config: { access: 'cases.read' } },
      async (request) => run(deps, request, (ctx) => notifications.list(ctx, { unreadOnly: request.query.unread === 'true', beforeId: request.query.before, limit: request.query.limit })),
    );
    app.post(
      '/api/notifications/read',
      { schema: { tags, summary: 'Mark notifications read (the given ids, or all)', body: z.strictObject({ ids: z.array(z.number().int().positive()).max(1000).optional() }), response: { 200: z.object({ updated: z.number().int() }) } }, config: { access: 'cases.read' } },
      async (request) => ({ updated: await run(deps, request, (ctx) => notifications.markRead(ctx, request.body)) }),
    );
    app.get(
      '/api/notifications/stream',
      { schema: { tags, summary: 'New notifications, live (text/event-stream; resumes after Last-Event-ID)', produces: ['text/event-stream'] }, config: { access: 'cases.read' } },
      async (request, reply) => {
        const actor = actorOf(request);
        const given = request.headers['last-event-id'];
        const after = typeof given === 'string' && /^[0-9]{1,15}$/.test(given) ? Number(given) : await notifications.latestId(deps.access.db, actor.userId);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-request-id': String(request.id) });
        raw.write(`retry: 3000\n: stream of ${actor.username}'s notifications after ${after}\n\n`);
        const write = (text: string) => !raw.destroyed && raw.write(text) !== undefined;
        const stop = streams.start(actor.userId, after, {
          send: (n: Notification) => write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`),
          keepAlive: () => write(': keep-alive\n\n'),
          end: () => raw.end(),
        });
        raw.on('close', stop);
      },
    );
  };
}
