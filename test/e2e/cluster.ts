import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { spawnNode, type Spawned } from '../support/processes.js';

/**
 * Helpers for end-to-end tests of a multi-process deployment: one PostgreSQL database, one S3-protocol server
 * (s3rver), and `ariadne` processes (the compiled CLI) sharing them, each with its own data directory.
 */

export function resolvable(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

export interface S3Server {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** s3rver on a free loopback port, storing under `dir`, with the given buckets created. */
export async function startS3(dir: string, buckets: readonly string[]): Promise<S3Server> {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/** A fresh database on the test PostgreSQL server; `drop` removes it (closing whatever is still connected). */
export async function createPgDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface DeploymentSettings {
  readonly databaseUrl: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly masterKeyHex: string;
  /** Settings added to every process (job lease, poll interval, log level). */
  readonly extra?: Record<string, string>;
}

/** The environment of one process of the deployment; `dataDir` is its own (index snapshots, temporary files). */
export function processEnv(settings: DeploymentSettings, dataDir: string): Record<string, string> {
  mkdirSync(dataDir, { recursive: true });
  return {
    ARIADNE_DATA_DIR: dataDir,
    ARIADNE_DATABASE_URL: settings.databaseUrl,
    ARIADNE_DATABASE_POOL_SIZE: '4',
    ARIADNE_BLOB_STORE: 's3',
    ARIADNE_S3_ENDPOINT: settings.s3Endpoint,
    ARIADNE_S3_BUCKET: settings.bucket,
    ARIADNE_S3_ACCESS_KEY_ID: 'S3RVER',
    ARIADNE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    ARIADNE_S3_FORCE_PATH_STYLE: 'true',
    ARIADNE_MASTER_KEY: settings.masterKeyHex,
    ARIADNE_PORT: '0',
    ARIADNE_HASH_THREADS: '1',
    ARIADNE_LOG_LEVEL: 'warn',
    ...settings.extra,
  };
}

export interface ServeProcess {
  readonly proc: Spawned;
  /** The HTTP address (API roles), parsed from what the process printed. */
  readonly url: string | undefined;
}

/** `ariadne serve --role …`; resolves once an API process listens, or once a worker has logged its start. */
export async function serve(role: 'api' | 'worker' | 'all', env: Record<string, string>): Promise<ServeProcess> {
  const proc = spawnNode('dist/src/cli/main.js', ['serve', '--role', role], { ...env, ARIADNE_LOG_LEVEL: 'info' });
  if (role === 'worker') {
    await proc.waitFor(/"msg":"Ariadne started"/, 60_000);
    return { proc, url: undefined };
  }
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+) /, 60_000);
  return { proc, url };
}

/** Runs a CLI command to completion; throws with its output when it exits non-zero. */
export async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const proc = spawnNode('dist/src/cli/main.js', args, env);
  const exit = await proc.exited;
  if (exit.code !== 0) throw new Error(`ariadne ${args.join(' ')} exited ${exit.code ?? exit.signal}:\n${proc.output()}`);
  return proc.output();
}

/** The JSON document a `--json` command printed (ignoring anything else on the output, such as runtime warnings). */
export function jsonOf<T>(output: string): T {
  const start = output.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in:\n${output}`);
  const end = Math.max(output.lastIndexOf('}'), output.lastIndexOf(']'));
  return JSON.parse(output.slice(start, end + 1)) as T;
}

/** Stops a process with SIGTERM and waits for it (SIGKILL after 20 s). */
export async function stop(proc: Spawned): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
  await proc.exited;
  clearTimeout(timer);
}

/** A certified investigator with a read+upload API token, created through the CLI. */
export async function investigatorToken(env: Record<string, string>, username: string, country = 'FR'): Promise<string> {
  await cli(['users', 'add', '--country', country, '--agency', 'OCRVP', '--role', 'investigator', '--username', username, '--certify-days', '30', '--json'], env);
  const out = await cli(['tokens', 'create', '--username', username, '--name', 'e2e', '--scope', 'read,upload', '--json'], env);
  return jsonOf<{ token: string }>(out).token;
}

export function multipart(files: ReadonlyArray<{ name: string; data: Buffer }>): { body: Buffer; contentType: string } {
  const boundary = `----ariadne${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A small JSON client for the HTTP API with a bearer token; non-2xx answers throw with the body. */
export function apiClient(token: string) {
  const call = async <T>(method: string, url: string, body?: unknown, contentType?: string): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: Buffer | string | undefined;
    if (body instanceof Buffer) {
      payload = body;
      headers['content-type'] = contentType ?? 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    get: <T>(url: string) => call<T>('GET', url),
    post: <T>(url: string, body?: unknown, contentType?: string) => call<T>('POST', url, body, contentType),
  };
}

export interface MatchAnswer {
  readonly known: boolean;
  readonly matches: ReadonlyArray<{ signal: string; hash: string; item: { id: number; sha256: string } | null }>;
}

/** Uploads files to a new submission through `api` and seals it; returns the submission id and the files' ids. */
export async function submit(api: string, token: string, reference: string, files: ReadonlyArray<{ name: string; data: Buffer }>): Promise<number> {
  const client = apiClient(token);
  const created = await client.post<{ id: number }>(`${api}/api/submissions`, { reference });
  for (let i = 0; i < files.length; i += 20) {
    const form = multipart(files.slice(i, i + 20));
    await client.post(`${api}/api/submissions/${created.id}/files`, form.body, form.contentType);
  }
  await client.post(`${api}/api/submissions/${created.id}/seal`);
  return created.id;
}

/** Polls until the submission is complete (every file processed). */
export async function waitComplete(api: string, token: string, id: number, timeoutMs: number): Promise<void> {
  const client = apiClient(token);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await client.get<{ submission: { status: string }; progress: unknown }>(`${api}/api/submissions/${id}`);
    if (s.submission.status === 'complete') return;
    if (Date.now() > deadline) throw new Error(`submission ${id} not complete after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Matches a SHA-256 through `api`; the item id of the media hit, or null. */
export async function matchSha256(api: string, token: string, sha256: string): Promise<number | null> {
  const answer = await apiClient(token).post<MatchAnswer>(`${api}/api/match`, { sha256 });
  return answer.matches.find((m) => m.signal === 'sha256' && m.item !== null)?.item?.id ?? null;
}
