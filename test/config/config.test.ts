import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/core/errors.js';

const cwd = '/srv/ariadne';

function settingOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).setting;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults to SQLite and encrypted local blobs under ./data, on 127.0.0.1:8080', () => {
    const c = loadConfig({ env: {}, cwd });
    expect(c.dataDir).toBe('/srv/ariadne/data');
    expect(c.database).toEqual({ dialect: 'sqlite', path: '/srv/ariadne/data/ariadne.sqlite' });
    expect(c.blobStore).toEqual({ kind: 'local', root: '/srv/ariadne/data/blobs' });
    expect(c.masterKey).toEqual({ source: 'file', path: '/srv/ariadne/data/keys/master.key' });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8080, tls: undefined });
  });

  it('selects PostgreSQL from a postgres:// URL and hides its password when described', () => {
    const c = loadConfig({ env: { ARIADNE_DATABASE_URL: 'postgres://ari:s3cret@db.example:5432/ariadne' }, cwd });
    expect(c.database).toMatchObject({ dialect: 'postgres', url: 'postgres://ari:s3cret@db.example:5432/ariadne' });
    expect(JSON.stringify(describeConfig(c))).not.toContain('s3cret');
  });

  it('accepts sqlite:PATH relative to the working directory', () => {
    expect(loadConfig({ env: { ARIADNE_DATABASE_URL: 'sqlite:db/a.sqlite' }, cwd }).database).toEqual({ dialect: 'sqlite', path: '/srv/ariadne/db/a.sqlite' });
  });

  it('configures S3 and requires a bucket', () => {
    expect(settingOf(() => loadConfig({ env: { ARIADNE_BLOB_STORE: 's3' }, cwd }))).toBe('ARIADNE_S3_BUCKET');
    const c = loadConfig({
      env: { ARIADNE_BLOB_STORE: 's3', ARIADNE_S3_BUCKET: 'evidence', ARIADNE_S3_ENDPOINT: 'http://127.0.0.1:9000', ARIADNE_S3_FORCE_PATH_STYLE: 'true', ARIADNE_S3_ACCESS_KEY_ID: 'a', ARIADNE_S3_SECRET_ACCESS_KEY: 'topsecret' },
      cwd,
    });
    expect(c.blobStore).toMatchObject({ kind: 's3', bucket: 'evidence', forcePathStyle: true, region: 'us-east-1' });
    expect(JSON.stringify(describeConfig(c))).not.toContain('topsecret');
  });

  it.each([
    [{ ARIADNE_PORT: '80x' }, 'ARIADNE_PORT'],
    [{ ARIADNE_PORT: '70000' }, 'ARIADNE_PORT'],
    [{ ARIADNE_BLOB_STORE: 'ftp' }, 'ARIADNE_BLOB_STORE'],
    [{ ARIADNE_DATABASE_URL: 'mysql://x/y' }, 'ARIADNE_DATABASE_URL'],
    [{ ARIADNE_DATABASE_URL: 'postgres://host' }, 'ARIADNE_DATABASE_URL'],
    [{ ARIADNE_TLS_CERT: '/nonexistent.pem' }, 'ARIADNE_TLS_KEY'],
    [{ ARIADNE_TLS_CERT: '/nonexistent.pem', ARIADNE_TLS_KEY: '/nonexistent.key' }, 'ARIADNE_TLS_CERT'],
    [{ ARIADNE_MASTER_KEY: 'abc' }, 'ARIADNE_MASTER_KEY'],
    [{ ARIADNE_LOG_LEVEL: 'loud' }, 'ARIADNE_LOG_LEVEL'],
    [{ ARIADNE_S3_FORCE_PATH_STYLE: 'perhaps', ARIADNE_BLOB_STORE: 's3', ARIADNE_S3_BUCKET: 'bkt' }, 'ARIADNE_S3_FORCE_PATH_STYLE'],
    [{ ARIADNE_CONFIG_FILE: '/nonexistent.json' }, 'ARIADNE_CONFIG_FILE'],
  ])('refuses %o naming %s', (env, setting) => {
    expect(settingOf(() => loadConfig({ env, cwd }))).toBe(setting);
  });

  it('reads a JSON file whose keys are setting names; the environment wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-config-'));
    const file = join(dir, 'ariadne.json');
    writeFileSync(file, JSON.stringify({ ARIADNE_PORT: 9090, ARIADNE_HOST: '0.0.0.0', ARIADNE_DATA_DIR: '/var/lib/ariadne' }));
    const c = loadConfig({ env: { ARIADNE_CONFIG_FILE: file, ARIADNE_PORT: '9191' }, cwd });
    expect(c.http.port).toBe(9191);
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe(resolve('/var/lib/ariadne'));
    writeFileSync(file, JSON.stringify({ ARIADNE_PROT: 1 }));
    expect(settingOf(() => loadConfig({ env: { ARIADNE_CONFIG_FILE: file }, cwd }))).toBe('ARIADNE_PROT');
    writeFileSync(file, '{ not json');
    expect(settingOf(() => loadConfig({ env: { ARIADNE_CONFIG_FILE: file }, cwd }))).toBe('ARIADNE_CONFIG_FILE');
  });
});
