import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FAILED } from '../../src/auth/auth-service.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { startAriadne, type RunningAriadne } from '../../src/server.js';
import { missing } from '../support/requirements.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = missing('the openssl command (apt-get install openssl) to make test certificates', hasOpenssl);

function get(url: string, options: { ca: Buffer; cert?: Buffer; key?: Buffer; json?: object }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const method = options.json ? 'POST' : 'GET';
    const headers = options.json ? { 'content-type': 'application/json' } : {};
    const req = request(url, { method, headers, ca: options.ca, cert: options.cert, key: options.key, servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.json ? JSON.stringify(options.json) : undefined);
  });
}

describe.skipIf(skip)('TLS and mutual TLS', () => {
  let dir: string;
  let server: RunningAriadne;
  let caCert: Buffer;
  const file = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-tls-'));
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test CA');
    writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=client');
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
    // A client certificate from a CA the server does not trust.
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue');
    caCert = readFileSync(file('ca.crt'));
    const config = loadConfig({
      env: {
        ARIADNE_DATA_DIR: dir,
        ARIADNE_PORT: '0',
        ARIADNE_LOG_LEVEL: 'silent',
        ARIADNE_TLS_CERT: file('server.crt'),
        ARIADNE_TLS_KEY: file('server.key'),
        ARIADNE_TLS_CLIENT_CA: file('ca.crt'),
      },
      cwd: dir,
    });
    server = await startAriadne(config, { role: 'api' });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with HSTS to a client holding a certificate from the configured CA', async () => {
    expect(server.url).toMatch(/^https:/);
    const res = await get(`${server.url}/api/health`, { ca: caCert, cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) });
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const anonymous = await get(`${server.url}/api/auth/me`, { ca: caCert, cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) });
    expect(anonymous.status).toBe(401);
    // The server (server.ts) wires the access module: the sign-in route exists and answers the one failure message.
    const login = await get(`${server.url}/api/auth/login`, { ca: caCert, cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')), json: { username: 'nobody', password: 'wrong password', totp: '000000' } });
    expect(login.status).toBe(401);
    expect(JSON.parse(login.body)).toMatchObject({ error: { message: LOGIN_FAILED } });
  });

  it('refuses the handshake without a client certificate or with one from another CA', async () => {
    await expect(get(`${server.url}/api/health`, { ca: caCert })).rejects.toThrow();
    await expect(get(`${server.url}/api/health`, { ca: caCert, cert: readFileSync(file('rogue.crt')), key: readFileSync(file('rogue.key')) })).rejects.toThrow();
  });

  it('names the setting when mutual TLS is configured without TLS', () => {
    const attempt = () => loadConfig({ env: { ARIADNE_DATA_DIR: dir, ARIADNE_TLS_CLIENT_CA: file('ca.crt') }, cwd: dir });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/ARIADNE_TLS_CLIENT_CA: mutual TLS needs ARIADNE_TLS_CERT/);
  });
});
