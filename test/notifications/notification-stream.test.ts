import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession, type TestUser } from '../auth/support.js';

/** Reads server-sent events from a real connection until `count` events arrived. */
function openStream(url: string, headers: Record<string, string>) {
  const events: Array<{ id: string; event: string; data: string }> = [];
  let buffer = '';
  let ended = false;
  const req = request(url, { headers: { ...headers, accept: 'text/event-stream' } });
  const response = new Promise<{ status: number; type: string }>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          if (field('event')) events.push({ id: field('id') ?? '', event: field('event')!, data: field('data') ?? '' });
        }
      });
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) });
    });
    req.on('error', reject);
  });
  req.end();
  return { events, response, ended: () => ended, destroy: () => req.destroy() };
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('notifications: list, read, and a live server-sent event stream', () => {
  let env: TestEnv;
  let ana: TestUser, ben: TestUser;
  let anaSession: TestSession, benSession: TestSession;
  let base: string;

  beforeAll(async () => {
    env = await startTestEnv();
    ana = await createUser(env, { username: 'ana', country: 'FR' });
    ben = await createUser(env, { username: 'ben', country: 'BE', agency: 'Federal Police' });
    anaSession = await signIn(env, ana);
    benSession = await signIn(env, ben);
    await env.app.listen({ host: '127.0.0.1', port: 0 });
    const address = env.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => env?.close());

  it('pushes a consultation to the asked user at once, lists it, marks it read, and ends streams on close', async () => {
    const stream = openStream(`${base}/api/notifications/stream`, { cookie: anaSession.cookie });
    expect(await stream.response).toMatchObject({ status: 200, type: expect.stringContaining('text/event-stream') });
    const anonymous = openStream(`${base}/api/notifications/stream`, {});
    expect((await anonymous.response).status).toBe(401);

    const inv = await env.app.inject({ method: 'POST', url: '/api/investigations', headers: benSession.headers, payload: { title: 'Harbour' } });
    const started = Date.now();
    const asked = await env.app.inject({ method: 'POST', url: '/api/consultations', headers: benSession.headers, payload: { investigationId: inv.json().id, to: { userId: ana.id }, question: 'Do you know this harbour?' } });
    expect(asked.statusCode, asked.body).toBe(201);
    await until('the pushed event', () => stream.events.length === 1);
    // Woken in-process: well before the one-second poll.
    expect(Date.now() - started).toBeLessThan(900);
    const pushed = JSON.parse(stream.events[0].data) as { id: number; kind: string; message: string };
    expect(stream.events[0]).toMatchObject({ event: 'notification', id: String(pushed.id) });
    expect(pushed).toMatchObject({ kind: 'consultation', message: 'ben (BE) asks you about investigation "Harbour"' });

    // Written by another process (here: straight into the table): the poll finds it.
    await env.container.database.db.insertInto('notifications').values({ user_id: ana.id, kind: 'series.matched', message: 'from elsewhere', object_type: null, object_id: null, details: null, dedupe_key: null, created_at: Date.now(), read_at: null }).execute();
    await until('the polled event', () => stream.events.length === 2, 5000);

    // Ben gets none of Ana's notifications.
    const list = await env.app.inject({ method: 'GET', url: '/api/notifications?unread=true', headers: anaSession.headers });
    expect(list.json()).toMatchObject({ unread: 2, notifications: [{ message: 'from elsewhere' }, { id: pushed.id }] });
    expect((await env.app.inject({ method: 'GET', url: '/api/notifications', headers: benSession.headers })).json()).toMatchObject({ notifications: [], unread: 0 });
    const read = await env.app.inject({ method: 'POST', url: '/api/notifications/read', headers: anaSession.headers, payload: { ids: [pushed.id] } });
    expect(read.json()).toEqual({ updated: 1 });
    expect((await env.app.inject({ method: 'GET', url: '/api/notifications?unread=true', headers: anaSession.headers })).json()).toMatchObject({ unread: 1 });

    // A reconnecting client resumes after Last-Event-ID.
    const resumed = openStream(`${base}/api/notifications/stream`, { cookie: anaSession.cookie, 'last-event-id': String(pushed.id - 1) });
    await until('the replayed events', () => resumed.events.length === 2);

    // Graceful shutdown ends open streams instead of waiting for them.
    expect(env.container.cases.streams.size).toBe(2);
    const closing = Date.now();
    await env.app.close();
    expect(Date.now() - closing).toBeLessThan(3000);
    await until('streams ended', () => stream.ended() && resumed.ended());
    expect(env.container.cases.streams.size).toBe(0);
  });
});
