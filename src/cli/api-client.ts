import { openAsBlob, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { AriadneError, InvalidError, UnavailableError, type ErrorKind } from '../core/errors.js';

export interface ApiClientOptions {
  /** Base URL of an Ariadne server, e.g. https://ariadne.example:8443 (else ARIADNE_SERVER). */
  readonly server?: string;
  /** A file holding an API token (else ARIADNE_TOKEN_FILE, else the token in ARIADNE_TOKEN). */
  readonly tokenFile?: string;
}

const KINDS: readonly ErrorKind[] = ['invalid', 'not_found', 'forbidden', 'unauthenticated', 'conflict', 'integrity', 'unavailable', 'config'];

/**
 * The command line as a client of the HTTP API, for what a person does under their own account (notices,
 * operations): it signs with the user's API token (scoped, revocable, every use audited), so the server applies the
 * same rules as to the web app. The token is read from a file or the environment, never from the command line
 * (which other local users can see). A private CA is trusted with NODE_EXTRA_CA_CERTS.
 */
export class ApiClient {
  private readonly base: string;
  private readonly token: string;

  constructor(options: ApiClientOptions = {}) {
    const server = options.server ?? process.env.ARIADNE_SERVER;
    if (!server) throw new InvalidError('give the server: --server URL or ARIADNE_SERVER');
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new InvalidError(`--server: "${server}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidError('--server must be an http(s) URL');
    this.base = url.toString().replace(/\/+$/, '');
    const file = options.tokenFile ?? process.env.ARIADNE_TOKEN_FILE;
    const token = (file ? readFileSync(file, 'utf8') : (process.env.ARIADNE_TOKEN ?? '')).trim();
    if (!token) throw new InvalidError('give an API token: --token-file FILE, ARIADNE_TOKEN_FILE or ARIADNE_TOKEN');
    this.token = token;
  }

  static configured(options: ApiClientOptions): boolean {
    return Boolean(options.server ?? process.env.ARIADNE_SERVER);
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.send<T>('GET', qs ? `${path}?${qs}` : path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, body);
  }

  /** The answer as text (CSV). */
  async text(path: string, query: Record<string, string | undefined>): Promise<string> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const res = await this.fetch(`${path}?${params.toString()}`, { method: 'GET' });
    return res.text();
  }

  /** Uploads one file as multipart/form-data. */
  async upload<T>(path: string, file: string): Promise<T> {
    const form = new FormData();
    form.append('file', await openAsBlob(file), basename(file));
    const res = await this.fetch(path, { method: 'POST', body: form });
    return (await res.json()) as T;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.token}` } });
    } catch (error) {
      throw new UnavailableError(`cannot reach ${this.base}: ${(error as Error).message}`, undefined, { cause: error });
    }
    if (res.ok) return res;
    let code = 'unavailable';
    let message = `${res.status} ${res.statusText}`;
    try {
      const parsed = (await res.json()) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not a JSON error body: keep the status line
    }
    const kind = (KINDS as readonly string[]).includes(code) ? (code as ErrorKind) : 'unavailable';
    throw new AriadneError(kind, `${message} (HTTP ${res.status})`);
  }
}
