import { createHmac, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { ConfigError } from '../core/errors.js';
import { describeError, errnoCode, syncDirectory } from './fs-util.js';

/**
 * Master keys wrap the per-object data keys of the blob envelope (see envelope.ts). A master key is 32 random bytes;
 * its id is a fingerprint (HMAC-SHA-256 of a fixed label under the key, first 8 bytes) that is written into every
 * envelope header, so a store can hold blobs sealed under several keys while keys are rotated: the keyring opens
 * any blob whose key it holds and seals new blobs under its current key. The id reveals nothing about the key.
 */
export interface MasterKey {
  /** 16 lowercase hex digits. */
  readonly id: string;
  /** 32 bytes. Never logged. */
  readonly key: Buffer;
}

export interface MasterKeyring {
  /** The key new envelopes are sealed under. */
  readonly current: MasterKey;
  /** Finds the key an envelope names, or undefined when it is not configured. */
  find(id: string): MasterKey | undefined;
  /** Ids of every configured key (for error messages and health reports). */
  readonly ids: readonly string[];
}

export const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_ID_BYTES = 8;
export const MASTER_KEY_FILE_SETTING = 'ARIADNE_MASTER_KEY_FILE';
export const MASTER_KEY_SETTING = 'ARIADNE_MASTER_KEY';

const KEY_ID_LABEL = 'ariadne master key id v1';

export function masterKeyId(key: Buffer): string {
  if (key.length !== MASTER_KEY_BYTES) throw new RangeError(`a master key has ${MASTER_KEY_BYTES} bytes, not ${key.length}`);
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest().subarray(0, MASTER_KEY_ID_BYTES).toString('hex');
}

/** Wraps 32 raw bytes as a MasterKey (copies them). */
export function masterKeyFromBytes(bytes: Buffer): MasterKey {
  const key = Buffer.from(bytes);
  return Object.freeze({ id: masterKeyId(key), key });
}

/** Generates a fresh random master key (for tests, demo mode and key rotation tooling). */
export function generateMasterKey(): MasterKey {
  return masterKeyFromBytes(randomBytes(MASTER_KEY_BYTES));
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}$/;

/**
 * Parses a key written as 64 hex digits or as base64 (standard or url-safe) of 32 bytes; surrounding whitespace is
 * ignored. Throws ConfigError naming `setting` otherwise (the message never repeats the value).
 */
export function parseMasterKey(text: string, setting: string): MasterKey {
  const value = text.trim();
  if (HEX_KEY.test(value)) return masterKeyFromBytes(Buffer.from(value, 'hex'));
  if (BASE64_KEY.test(value)) {
    const bytes = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === MASTER_KEY_BYTES) return masterKeyFromBytes(bytes);
  }
  throw new ConfigError(setting, `expected a 256-bit key as 64 hex digits or base64 of 32 bytes (got ${value.length} characters)`);
}

/** The key given directly in configuration (env ARIADNE_MASTER_KEY): exactly 64 hex digits. */
export function masterKeyFromHex(value: string, setting: string = MASTER_KEY_SETTING): MasterKey {
  const trimmed = value.trim();
  if (!HEX_KEY.test(trimmed)) {
    throw new ConfigError(setting, `expected 64 hex digits (a 256-bit key), got ${trimmed.length} characters`);
  }
  return masterKeyFromBytes(Buffer.from(trimmed, 'hex'));
}

/**
 * Reads the master key file at `path`, or creates it on first start: the directory (when missing) with mode 0700,
 * the file with mode 0600 holding 64 hex digits. A file that group or others may read or write, a symbolic link, or
 * a file that does not hold a 256-bit key is refused with a ConfigError naming ARIADNE_MASTER_KEY_FILE.
 * Two processes starting at once agree on one key: creation is exclusive and the loser reads the winner's file.
 */
export async function loadOrCreateMasterKey(path: string, setting: string = MASTER_KEY_FILE_SETTING): Promise<MasterKey> {
  const existing = await readKeyFile(path, setting);
  if (existing) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateMasterKey();
  let handle;
  try {
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return readRacedKeyFile(path, setting);
    throw new ConfigError(setting, `cannot create the master key file ${path}: ${describeError(error)}`);
  }
  try {
    // The umask may have narrowed the mode further, never widened it; set it exactly anyway.
    await handle.chmod(0o600);
    await handle.writeFile(`${key.key.toString('hex')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
  return key;
}

async function readKeyFile(path: string, setting: string): Promise<MasterKey | undefined> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new ConfigError(setting, `cannot read the master key file ${path}: ${describeError(error)}`);
  }
  if (stats.isSymbolicLink()) throw new ConfigError(setting, `${path} is a symbolic link; point the setting at the key file itself`);
  if (!stats.isFile()) throw new ConfigError(setting, `${path} is not a regular file`);
  if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    throw new ConfigError(setting, `${path} is accessible to group or others (mode ${mode}); run: chmod 600 ${path}`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `cannot read the master key file ${path}: ${describeError(error)}`);
  }
  try {
    return parseMasterKey(text, setting);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(setting, `${path} is malformed: ${error.message.slice(setting.length + 2)}`);
    throw error;
  }
}

/** A keyring sealing under `current` and opening blobs sealed under `current` or any of `previous`. */
export function createKeyring(current: MasterKey, ...previous: MasterKey[]): MasterKeyring {
  const byId = new Map<string, MasterKey>();
  for (const key of [current, ...previous]) {
    const other = byId.get(key.id);
    if (other && !other.key.equals(key.key)) throw new RangeError(`two different master keys share the id ${key.id}`);
    byId.set(key.id, key);
  }
  const ids = Object.freeze([...byId.keys()]);
  return Object.freeze({ current, ids, find: (id: string) => byId.get(id) });
}

/**
 * Another process created the key file between our read and our exclusive create: use its key. The file is written
 * in one small write right after creation, so a short or empty file is retried briefly before it counts as malformed.
 */
async function readRacedKeyFile(path: string, setting: string): Promise<MasterKey> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const key = await readKeyFile(path, setting);
      if (key) return key;
      lastError = new ConfigError(setting, `${path} disappeared while being created by another process`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw lastError;
}
