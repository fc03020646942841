import type { LightMyRequestResponse } from 'fastify';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import type { TestEnv, TestSession } from '../auth/support.js';

const operator = contextFor(systemActor('test'));

/** A multipart body with one part per file, as a browser or the CLI sends it. */
export function multipart(files: Array<{ name: string; data: Buffer }>): { body: Buffer; contentType: string } {
  const boundary = `----ariadne${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates a submission over HTTP, uploads the files, seals it and waits until every file is processed. */
export async function uploadSeizure(env: TestEnv, session: TestSession, reference: string, files: Array<{ name: string; data: Buffer }>): Promise<number> {
  const created = await env.app.inject({ method: 'POST', url: '/api/submissions', headers: session.headers, payload: { reference } });
  if (created.statusCode !== 201) throw new Error(`create submission: ${created.body}`);
  const id = (created.json() as { id: number }).id;
  const upload = multipart(files);
  const res = await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/files`, headers: { ...session.headers, 'content-type': upload.contentType }, payload: upload.body });
  if (res.statusCode !== 200) throw new Error(`upload: ${res.body}`);
  await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/seal`, headers: session.headers });
  await waitFor(`submission ${id}`, async () => ((await env.container.submissions.get(operator, id)).status === 'complete' ? true : undefined));
  return id;
}

/** The media id of a submission's file at `path`. */
export async function mediaAt(env: TestEnv, submissionId: number, path: string): Promise<number> {
  const row = await env.container.database.db.selectFrom('submission_files').select('media_id').where('submission_id', '=', submissionId).where('path', '=', path).executeTakeFirstOrThrow();
  return Number(row.media_id);
}

/** app.inject with a session's headers; JSON in and out. */
export function api(env: TestEnv, session: TestSession) {
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
    env.app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return {
    call,
    get: (url: string) => call('GET', url),
    post: (url: string, payload: unknown = {}) => call('POST', url, payload),
    patch: (url: string, payload: unknown) => call('PATCH', url, payload),
    put: (url: string, payload: unknown) => call('PUT', url, payload),
    del: (url: string) => call('DELETE', url),
  };
}
