import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/core/errors.js';
import {
  createKeyring,
  generateMasterKey,
  loadOrCreateMasterKey,
  masterKeyFromHex,
  masterKeyId,
  parseMasterKey,
} from '../../src/storage/master-key.js';

const posix = process.platform !== 'win32';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ariadne-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectConfigError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).setting).toBe('ARIADNE_MASTER_KEY_FILE');
  expect((error as ConfigError).message).toMatch(/^ARIADNE_MASTER_KEY_FILE: /);
  expect((error as ConfigError).message).toMatch(pattern);
}

describe('loadOrCreateMasterKey', () => {
  it('creates the key file 0600 in a new 0700 directory on first start and reuses it afterwards', async () => {
    const path = join(dir, 'secrets', 'nested', 'master.key');
    const first = await loadOrCreateMasterKey(path);
    expect(first.key.length).toBe(32);
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
    const text = await readFile(path, 'utf8');
    expect(text.trim()).toBe(first.key.toString('hex'));
    if (posix) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'secrets', 'nested'))).mode & 0o777).toBe(0o700);
      expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    }
    const second = await loadOrCreateMasterKey(path);
    expect(second.key.equals(first.key)).toBe(true);
    expect(second.id).toBe(first.id);
  });

  it('gives concurrent first starts one key', async () => {
    const path = join(dir, 'master.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateMasterKey(path)));
    expect(new Set(keys.map((key) => key.id)).size).toBe(1);
  });

  it('accepts a key file written as base64 (standard and url-safe) or hex with whitespace', async () => {
    const bytes = randomBytes(32);
    const path = join(dir, 'master.key');
    for (const text of [bytes.toString('base64'), bytes.toString('base64url'), `  ${bytes.toString('hex').toUpperCase()}\r\n`]) {
      await writeFile(path, text, { mode: 0o600 });
      const key = await loadOrCreateMasterKey(path);
      expect(key.key.equals(bytes)).toBe(true);
      await rm(path);
    }
  });

  it.skipIf(!posix)('refuses a key file that group or others can read or write', async () => {
    const path = join(dir, 'master.key');
    await loadOrCreateMasterKey(path);
    for (const mode of [0o640, 0o604, 0o620, 0o644]) {
      await chmod(path, mode);
      await expectConfigError(loadOrCreateMasterKey(path), new RegExp(`mode ${mode.toString(8)}.*chmod 600`));
    }
  });

  it.skipIf(!posix)('refuses a symbolic link', async () => {
    const target = join(dir, 'real.key');
    await loadOrCreateMasterKey(target);
    const link = join(dir, 'link.key');
    await symlink(target, link);
    await expectConfigError(loadOrCreateMasterKey(link), /symbolic link/);
  });

  it('refuses a malformed key file without echoing it', async () => {
    const path = join(dir, 'master.key');
    const bad = [
      '',
      'not a key',
      randomBytes(31).toString('hex'),
      randomBytes(33).toString('hex'),
      `${randomBytes(32).toString('hex')}zz`,
      randomBytes(16).toString('base64'),
      randomBytes(48).toString('base64'),
    ];
    for (const text of bad) {
      await writeFile(path, text, { mode: 0o600 });
      await expectConfigError(loadOrCreateMasterKey(path), /is malformed: expected a 256-bit key/);
      if (text.length > 8) {
        await loadOrCreateMasterKey(path).catch((error: Error) => expect(error.message).not.toContain(text));
      }
      await rm(path);
    }
  });

  it('refuses a directory in place of the key file', async () => {
    await expectConfigError(loadOrCreateMasterKey(dir), /not a regular file/);
  });
});

describe('master keys given directly', () => {
  it('parses 64 hex digits (ARIADNE_MASTER_KEY)', () => {
    const hex = randomBytes(32).toString('hex');
    const key = masterKeyFromHex(hex);
    expect(key.key.toString('hex')).toBe(hex);
    expect(key.id).toBe(masterKeyId(Buffer.from(hex, 'hex')));
  });

  it('refuses anything else, naming ARIADNE_MASTER_KEY', () => {
    for (const value of ['', 'abc', randomBytes(32).toString('base64'), randomBytes(31).toString('hex'), `${'g'.repeat(64)}`]) {
      let error: unknown;
      try {
        masterKeyFromHex(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe('ARIADNE_MASTER_KEY');
    }
  });

  it('derives stable ids that differ between keys', () => {
    const bytes = randomBytes(32);
    expect(parseMasterKey(bytes.toString('hex'), 'X').id).toBe(parseMasterKey(bytes.toString('base64'), 'X').id);
    expect(generateMasterKey().id).not.toBe(generateMasterKey().id);
    expect(() => masterKeyId(randomBytes(16))).toThrow(RangeError);
  });

  it('keyrings find every key and refuse two keys with one id', () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const ring = createKeyring(a, b);
    expect(ring.current).toBe(a);
    expect(ring.find(b.id)).toBe(b);
    expect(ring.find('0000000000000000')).toBeUndefined();
    expect(ring.ids).toEqual([a.id, b.id]);
    expect(() => createKeyring(a, { id: a.id, key: randomBytes(32) })).toThrow(/share the id/);
  });
});
