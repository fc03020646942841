import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { projectRoot, spawnNode } from '../support/processes.js';
import { missing } from '../support/requirements.js';

async function startLogs(dir: string): Promise<string> {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
  const config = loadConfig({ env: { ARIADNE_DATA_DIR: dir }, cwd: dir });
  const container = await createContainer(config, { role: 'api', logger: createLogger('info', sink) });
  await container.close();
  return out;
}

describe('first start and `ariadne admin bootstrap` (compiled CLI)', () => {
  let dir: string;
  const env = () => ({ ARIADNE_DATA_DIR: dir, ARIADNE_LOG_LEVEL: 'silent' });
  const skip = missing('a built dist/ (npm test builds it first)', existsSync(join(projectRoot, 'dist/src/cli/main.js')));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-bootstrap-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(skip)('hints at bootstrap while no user exists, creates one global admin once, then stops hinting', async () => {
    expect(await startLogs(dir)).toContain('ariadne admin bootstrap');

    const first = spawnNode('dist/src/cli/main.js', ['admin', 'bootstrap', '--country', 'fr', '--agency', 'NCB Paris', '--username', 'root', '--json'], env());
    expect((await first.exited).code).toBe(0);
    const issued = JSON.parse(first.output()) as { user: { role: string; countryCode: string }; oneTimePassword: string; totpSecret: string; totpUri: string };
    expect(issued.user).toMatchObject({ role: 'global_admin', countryCode: 'FR' });
    expect(issued.oneTimePassword).toHaveLength(20);
    expect(issued.totpUri).toMatch(/^otpauth:\/\/totp\/Ariadne:root\?secret=/);

    const again = spawnNode('dist/src/cli/main.js', ['admin', 'bootstrap', '--country', 'DE', '--agency', 'BKA', '--username', 'other'], env());
    expect((await again.exited).code).toBe(75);
    expect(again.output()).toContain('a global admin already exists');
    expect(await startLogs(dir)).not.toContain('ariadne admin bootstrap');

    const add = spawnNode('dist/src/cli/main.js', ['users', 'add', '--country', 'DE', '--agency', 'BKA', '--role', 'investigator', '--username', 'hans', '--json'], env());
    expect((await add.exited).code).toBe(0);
    const badRole = spawnNode('dist/src/cli/main.js', ['users', 'add', '--country', 'DE', '--agency', 'BKA', '--role', 'king', '--username', 'x'], env());
    expect((await badRole.exited).code).not.toBe(0);
    const token = spawnNode('dist/src/cli/main.js', ['tokens', 'create', '--username', 'hans', '--name', 'scanner', '--scope', 'read', '--json'], env());
    expect((await token.exited).code).toBe(0);
    expect(JSON.parse(token.output()).token).toMatch(/^ariadne_/);
    const revoke = spawnNode('dist/src/cli/main.js', ['tokens', 'revoke', String(JSON.parse(token.output()).id)], env());
    expect((await revoke.exited).code).toBe(0);
  });

  it.skipIf(skip)('`ariadne audit verify` exits 0 on an intact chain and 70 naming the first broken link', async () => {
    const ok = spawnNode('dist/src/cli/main.js', ['audit', 'verify', '--json'], env());
    expect((await ok.exited).code).toBe(0);
    expect(JSON.parse(ok.output())).toMatchObject({ ok: true });
    const handle = new BetterSqlite3(join(dir, 'ariadne.sqlite'));
    handle.prepare("update audit_log set details = '{\"name\":\"forged\"}' where seq = 2").run();
    handle.close();
    const broken = spawnNode('dist/src/cli/main.js', ['audit', 'verify'], env());
    expect((await broken.exited).code).toBe(70);
    expect(broken.output()).toMatch(/BROKEN at entry 2 \(edited\)/);
  });
});
