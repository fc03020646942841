import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { HealthService } from '../../src/api/health/health-service.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';

describe('HTTP application', () => {
  let dir: string;
  let container: Container;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-app-'));
    const config = loadConfig({ env: { ARIADNE_DATA_DIR: dir }, cwd: dir });
    const logger = createLogger('silent');
    container = await createContainer(config, { role: 'api', logger });
    app = await buildApp({ config, logger, health: container.health, version: container.version });
  });

  afterAll(async () => {
    await app.close();
    await container.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports health of the database, blob store and queue', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      database: { ok: true, dialect: 'sqlite', pendingMigrations: 0 },
      blobStore: { ok: true, kind: 'local' },
      queue: { ok: true, queued: 0, running: 0, failed: 0 },
    });
  });

  it('answers 503 naming the component that is down', async () => {
    const failing = { ...container.blobStore, kind: 'local', check: async () => ({ ok: false, detail: 'disk unreadable' }) };
    const health = new HealthService({ database: container.database, blobStore: failing, queue: container.queue, version: 'x', startedAt: Date.now() });
    const logger = createLogger('silent');
    const degraded = await buildApp({ config: container.config, logger, health, version: 'x' });
    const res = await degraded.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', blobStore: { ok: false, error: 'disk unreadable' }, database: { ok: true } });
    await degraded.close();
  });

  it('gives every response a request id, keeping a well-formed one from the caller', async () => {
    const mine = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'abc-123' } });
    expect(mine.headers['x-request-id']).toBe('abc-123');
    const bad = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'no spaces<allowed>' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('publishes an OpenAPI document and its docs UI', async () => {
    const doc = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const spec = doc.json() as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths['/api/health']).toBeDefined();
    const ui = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('answers unknown routes with a JSON 404 carrying the request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found', requestId: res.headers['x-request-id'] } });
  });
});
