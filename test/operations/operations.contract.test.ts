import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { api } from '../cases/support.js';
import { databaseAdapters } from '../support/databases.js';
import { greenBody } from '../notices/fixtures.js';

type OpView = { id: number; status: string; myRole: string; participants: Array<{ countryCode: string; role: string; contact: { username: string } }>; items: Array<{ id: number; kind: string; targetId: number; title: string; sharedCountry: string }> };

/**
 * Joint operations on SQLite and PostgreSQL through the HTTP API, three countries: France coordinates, Germany takes
 * part, Spain does not. Participants see the operation and only what is shared into it; sharing an investigation
 * needs membership of it and makes it readable to the participants while the operation runs; the board is audited.
 */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip !== undefined)(`operations on ${adapter.name}`, () => {
    let env: TestEnv;
    let fr: TestUser, frOther: TestUser, de: TestUser, de2: TestUser, es: TestUser, ga: TestUser;
    let FR: ReturnType<typeof api>, FRO: ReturnType<typeof api>, DE: ReturnType<typeof api>, DE2: ReturnType<typeof api>, ES: ReturnType<typeof api>, GA: ReturnType<typeof api>;

    beforeAll(async () => {
      env = await startTestEnv({ adapter });
      fr = await createUser(env, { username: 'fleur', country: 'FR', agency: 'OCRVP' });
      frOther = await createUser(env, { username: 'fred', country: 'FR', agency: 'Gendarmerie' });
      de = await createUser(env, { username: 'dirk', country: 'DE', agency: 'BKA' });
      de2 = await createUser(env, { username: 'doris', country: 'DE', agency: 'LKA' });
      es = await createUser(env, { username: 'esteban', country: 'ES', agency: 'Policia' });
      ga = await createUser(env, { username: 'gunnar', role: 'global_admin', country: 'SE', agency: 'IPSG' });
      [FR, FRO, DE, DE2, ES, GA] = await Promise.all([fr, frOther, de, de2, es, ga].map(async (u) => api(env, await signIn(env, u))));
    });
    afterAll(async () => env?.close());

    it('participants see the operation and only what is shared into it', async () => {
      const created = await FR.post('/api/operations', { name: 'Operation Lighthouse', description: 'joint action on a sharing network' });
      expect(created.statusCode, created.body).toBe(201);
      const op = created.json() as OpView;
      expect(op).toMatchObject({ myRole: 'coordinator', participants: [{ countryCode: 'FR', role: 'coordinator', contact: { username: 'fleur' } }] });

      // Not a participant yet: not found, not listed, whatever the role.
      for (const who of [DE, ES, GA]) expect((await who.get(`/api/operations/${op.id}`)).statusCode).toBe(404);
      expect((await ES.get('/api/operations')).json()).toEqual({ operations: [], next: null });

      expect((await FR.put(`/api/operations/${op.id}/participants/DE`, { contactUserId: es.id })).statusCode).toBe(404);
      const added = await FR.put(`/api/operations/${op.id}/participants/de`, { contactUserId: de.id });
      expect(added.statusCode, added.body).toBe(200);
      expect((await DE.get(`/api/operations/${op.id}`)).json()).toMatchObject({ myRole: 'participant', participants: [{ countryCode: 'FR' }, { countryCode: 'DE', contact: { username: 'dirk' } }] });
      expect((await DE2.get('/api/operations')).json()).toMatchObject({ operations: [{ id: op.id }] });
      expect((await DE.put(`/api/operations/${op.id}/participants/ES`, { contactUserId: es.id })).statusCode).toBe(403);
      expect((await ES.get(`/api/operations/${op.id}/messages`)).statusCode).toBe(404);

      // Investigations: only a member shares; participants then read it; a non-participant does not.
      const inv = (await FR.post('/api/investigations', { title: 'Lighthouse FR', reference: 'FR-LH' })).json() as { id: number };
      const secret = (await FR.post('/api/investigations', { title: 'Unrelated FR case' })).json() as { id: number };
      expect((await DE.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await FRO.post(`/api/operations/${op.id}/items`, { kind: 'investigation', targetId: inv.id })).statusCode).toBe(404);
      expect((await DE.post(`/api/operations/${op.id}/items`, { kind: 'investigation', targetId: inv.id })).statusCode).toBe(404);
      const shared = await FR.post(`/api/operations/${op.id}/items`, { kind: 'investigation', targetId: inv.id });
      expect(shared.statusCode, shared.body).toBe(200);
      expect((shared.json() as OpView).items).toMatchObject([{ kind: 'investigation', targetId: inv.id, title: 'Lighthouse FR (FR-LH)', sharedCountry: 'FR' }]);
      expect((await FR.post(`/api/operations/${op.id}/items`, { kind: 'investigation', targetId: inv.id })).statusCode).toBe(409);
      const seen = await DE2.get(`/api/investigations/${inv.id}`);
      expect(seen.statusCode).toBe(200);
      expect(seen.json()).toMatchObject({ myRole: null });
      expect((await DE2.patch(`/api/investigations/${inv.id}`, { title: 'renamed' })).statusCode).toBe(403);
      expect(((await DE.get('/api/investigations')).json() as { investigations: Array<{ id: number }> }).investigations.map((i) => i.id)).toEqual([inv.id]);
      expect((await DE.get(`/api/investigations/${secret.id}`)).statusCode).toBe(404);
      expect((await ES.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);

      // Notices: only published ones can be shared.
      const notice = (await FR.post('/api/notices', { kind: 'green', body: greenBody('Keeper') })).json() as { id: number };
      expect((await FR.post(`/api/operations/${op.id}/items`, { kind: 'notice', targetId: notice.id })).statusCode).toBe(409);
      await FR.post(`/api/notices/${notice.id}/request`);
      await GA.post(`/api/notices/${notice.id}/publish`);
      expect((await DE.post(`/api/operations/${op.id}/items`, { kind: 'notice', targetId: notice.id })).statusCode).toBe(200);
      const items = ((await FR.get(`/api/operations/${op.id}`)).json() as OpView).items;
      expect(items.map((i) => [i.kind, i.sharedCountry])).toEqual([
        ['investigation', 'FR'],
        ['notice', 'DE'],
      ]);
      // Taking out: the sharer or the coordinator; not another participant.
      const invItem = items[0].id;
      expect((await DE.call('DELETE', `/api/operations/${op.id}/items/${invItem}`)).statusCode).toBe(403);

      // Closing the operation ends what it shared.
      expect((await DE.patch(`/api/operations/${op.id}`, { status: 'closed' })).statusCode).toBe(403);
      expect((await FR.patch(`/api/operations/${op.id}`, { status: 'closed' })).json()).toMatchObject({ status: 'closed' });
      expect((await DE.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await DE.post(`/api/operations/${op.id}/messages`, { body: 'late' })).statusCode).toBe(409);
      expect((await FR.patch(`/api/operations/${op.id}`, { status: 'active' })).statusCode).toBe(200);
      expect((await DE.get(`/api/investigations/${inv.id}`)).statusCode).toBe(200);
      expect((await FR.call('DELETE', `/api/operations/${op.id}/participants/DE`)).statusCode).toBe(200);
      expect((await DE.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await DE.get(`/api/operations/${op.id}`)).statusCode).toBe(404);
    });

    it('targets, timeline, tasks with owners and due dates, and the message board, each audited', async () => {
      const op = (await FR.post('/api/operations', { name: 'Operation Board' })).json() as OpView;
      await FR.put(`/api/operations/${op.id}/participants/DE`, { contactUserId: de.id });

      const target = await DE.post(`/api/operations/${op.id}/targets`, { label: 'Administrator of forum X', countryCode: 'de' });
      expect(target.statusCode, target.body).toBe(201);
      const targetId = (target.json() as { id: number }).id;
      expect((await FR.patch(`/api/operations/${op.id}/targets/${targetId}`, { status: 'arrested' })).json()).toMatchObject({ status: 'arrested', countryCode: 'DE' });

      const later = Date.UTC(2026, 10, 20, 6, 0);
      const earlier = Date.UTC(2026, 10, 19, 6, 0);
      await DE.post(`/api/operations/${op.id}/timeline`, { happenedAt: later, title: 'Arrest in Hamburg' });
      await FR.post(`/api/operations/${op.id}/timeline`, { happenedAt: earlier, title: 'Search in Lyon' });
      expect(((await DE.get(`/api/operations/${op.id}/timeline`)).json() as { actions: Array<{ title: string; countryCode: string }> }).actions.map((a) => [a.title, a.countryCode])).toEqual([
        ['Search in Lyon', 'FR'],
        ['Arrest in Hamburg', 'DE'],
      ]);
      const tl1 = (await DE.get(`/api/operations/${op.id}/timeline?limit=1`)).json() as { actions: Array<{ id: number; title: string }>; next: string };
      expect(tl1.actions.map((a) => a.title)).toEqual(['Search in Lyon']);
      expect(tl1.next).toBe(`${earlier}.${tl1.actions[0].id}`);
      expect((await DE.get(`/api/operations/${op.id}/timeline?limit=1&after=${tl1.next}`)).json()).toMatchObject({ actions: [{ title: 'Arrest in Hamburg' }], next: null });
      expect((await DE.get(`/api/operations/${op.id}/timeline?after=abc`)).statusCode).toBe(400);

      expect((await FR.post(`/api/operations/${op.id}/tasks`, { title: 'Image the seized laptop', ownerId: es.id })).statusCode).toBe(404);
      const due = Date.UTC(2026, 11, 1);
      const task = await FR.post(`/api/operations/${op.id}/tasks`, { title: 'Image the seized laptop', ownerId: de2.id, dueAt: due });
      expect(task.statusCode, task.body).toBe(201);
      const taskId = (task.json() as { id: number }).id;
      expect(task.json()).toMatchObject({ owner: { username: 'doris', countryCode: 'DE' }, dueAt: due, status: 'open' });
      expect((await DE.patch(`/api/operations/${op.id}/tasks/${taskId}`, { status: 'done' })).statusCode).toBe(403);
      expect((await DE2.patch(`/api/operations/${op.id}/tasks/${taskId}`, { status: 'done' })).json()).toMatchObject({ status: 'done' });
      expect((await DE.get(`/api/operations/${op.id}/tasks?status=done`)).json()).toMatchObject({ tasks: [{ id: taskId }], next: null });
      expect((await DE.get(`/api/operations/${op.id}/targets?limit=1`)).json()).toMatchObject({ targets: [{ id: targetId }], next: null });
      const note = ((await DE2.get('/api/notifications')).json() as { notifications: Array<{ kind: string; message: string }> }).notifications.find((n) => n.kind === 'operation.update');
      expect(note?.message).toMatch(/You own a task in joint operation "Operation Board": Image the seized laptop/);

      for (let i = 0; i < 5; i++) expect((await (i % 2 ? DE : FR).post(`/api/operations/${op.id}/messages`, { body: `message ${i}` })).statusCode).toBe(201);
      const page1 = (await DE.get(`/api/operations/${op.id}/messages?limit=3`)).json() as { messages: Array<{ id: number; body: string; countryCode: string }>; next: number };
      expect(page1.messages.map((m) => m.body)).toEqual(['message 4', 'message 3', 'message 2']);
      const page2 = (await DE.get(`/api/operations/${op.id}/messages?limit=3&before=${page1.next}`)).json() as { messages: Array<{ body: string }>; next: number | null };
      expect(page2).toMatchObject({ messages: [{ body: 'message 1' }, { body: 'message 0' }], next: null });

      const audit = await env.container.database.db.selectFrom('audit_log').select('action').where('object_type', '=', 'operation').where('object_id', '=', String(op.id)).orderBy('seq').execute();
      expect(audit.map((a) => a.action)).toEqual([
        'operation.create',
        'operation.participant.add',
        'operation.target.add',
        'operation.target.update',
        'operation.action.add',
        'operation.action.add',
        'operation.task.add',
        'operation.task.update',
        'operation.message',
        'operation.message',
        'operation.message',
        'operation.message',
        'operation.message',
      ]);
    });
  });
}
