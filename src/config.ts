import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './core/errors.js';

/**
 * Configuration: built-in defaults, then an optional JSON file (ARIADNE_CONFIG_FILE), then the environment.
 * Every setting has one environment name; the file uses the same names as keys. Invalid values stop start-up with
 * a ConfigError naming the setting.
 */
export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string; readonly poolSize: number };

export type BlobStoreConfig =
  | { readonly kind: 'local'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly endpoint: string | undefined;
      readonly region: string;
      readonly bucket: string;
      readonly accessKeyId: string | undefined;
      readonly secretAccessKey: string | undefined;
      readonly forcePathStyle: boolean;
      readonly prefix: string;
    };

export type MasterKeyConfig = { readonly source: 'env'; readonly hex: string } | { readonly source: 'file'; readonly path: string };

export interface AriadneConfig {
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly blobStore: BlobStoreConfig;
  readonly masterKey: MasterKeyConfig;
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** `clientCaPath`: when set, every client must present a certificate signed by this CA (mutual TLS). */
    readonly tls: { readonly certPath: string; readonly keyPath: string; readonly clientCaPath?: string } | undefined;
    readonly bodyLimitBytes: number;
    readonly maxUploadBytes: number;
  };
  readonly jobs: { readonly concurrency: number; readonly leaseMs: number; readonly pollMs: number; readonly maxAttempts: number };
  readonly hashThreads: number;
  /** Worker threads for faces and scenes (they run only while no triage job is due, so all cores by default). */
  readonly visionThreads: number;
  readonly index: { readonly refreshMs: number; readonly snapshotMs: number };
  /** Investigations: how many investigators must agree before an item's category is settled. */
  readonly cases: { readonly categoryQuorum: number };
  /** Resumable (tus) uploads: an unfinished upload is removed this long after its last write. */
  readonly uploads: { readonly expiryMs: number };
  /** Video: the ffmpeg binary (undefined: resolved at start) and frames hashed per second. */
  readonly video: { readonly ffmpegPath: string | undefined; readonly sampleFps: number };
  readonly auth: {
    readonly sessionIdleMs: number;
    readonly sessionMaxMs: number;
    readonly loginMaxFailures: number;
    readonly loginLockMs: number;
    readonly loginRatePerMinute: number;
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly shutdownTimeoutMs: number;
}

/** The settings, by their environment names, with a one-line description (printed by `ariadne config --help`). */
export const SETTINGS = {
  ARIADNE_CONFIG_FILE: 'optional JSON file whose keys are these setting names',
  ARIADNE_DATA_DIR: 'data directory (default ./data)',
  ARIADNE_DATABASE_URL: 'database: sqlite:PATH (default sqlite in the data dir) or postgres://user:pass@host:port/db',
  ARIADNE_DATABASE_POOL_SIZE: 'PostgreSQL connection pool size (default 10)',
  ARIADNE_BLOB_STORE: 'blob store: local (default) or s3',
  ARIADNE_BLOB_DIR: 'local blob store directory (default DATA_DIR/blobs)',
  ARIADNE_S3_ENDPOINT: 'S3 endpoint URL (omit for AWS)',
  ARIADNE_S3_REGION: 'S3 region (default us-east-1)',
  ARIADNE_S3_BUCKET: 'S3 bucket (required for s3)',
  ARIADNE_S3_ACCESS_KEY_ID: 'S3 access key id',
  ARIADNE_S3_SECRET_ACCESS_KEY: 'S3 secret access key',
  ARIADNE_S3_FORCE_PATH_STYLE: 'true for path-style S3 addressing (MinIO and most self-hosted servers)',
  ARIADNE_S3_PREFIX: 'key prefix inside the bucket',
  ARIADNE_MASTER_KEY: 'master key, 64 hex digits (else read from ARIADNE_MASTER_KEY_FILE)',
  ARIADNE_MASTER_KEY_FILE: 'master key file (default DATA_DIR/keys/master.key, created 0600 on first start)',
  ARIADNE_HOST: 'HTTP listen address (default 127.0.0.1)',
  ARIADNE_PORT: 'HTTP port (default 8080; 0 picks a free port)',
  ARIADNE_TLS_CERT: 'TLS certificate file (PEM); set with ARIADNE_TLS_KEY to serve HTTPS',
  ARIADNE_TLS_KEY: 'TLS private key file (PEM)',
  ARIADNE_TLS_CLIENT_CA: 'CA certificate file (PEM): when set, clients must present a certificate it signed (mutual TLS); needs ARIADNE_TLS_CERT',
  ARIADNE_SESSION_IDLE_MINUTES: 'a session ends after this many minutes without a request (default 30)',
  ARIADNE_SESSION_MAX_HOURS: 'a session ends this many hours after login, whatever its use (default 12)',
  ARIADNE_LOGIN_MAX_FAILURES: 'failed logins for one account name before it is locked (default 5)',
  ARIADNE_LOGIN_LOCK_MINUTES: 'how long an account name stays locked after repeated failures (default 15)',
  ARIADNE_LOGIN_RATE_PER_MINUTE: 'login attempts allowed per client address per minute (default 20)',
  ARIADNE_BODY_LIMIT_MB: 'largest JSON request body in MiB (default 16)',
  ARIADNE_MAX_UPLOAD_MB: 'largest file accepted in one multipart upload, in MiB (default 2048)',
  ARIADNE_UPLOAD_EXPIRY_HOURS: 'an unfinished resumable upload is removed this many hours after its last write (default 24)',
  ARIADNE_FFMPEG: 'path of the ffmpeg binary for video (default: /usr/bin/ffmpeg, else the @ffmpeg-installer/ffmpeg build)',
  ARIADNE_VIDEO_FPS: 'video frames hashed per second at ingest (default 1, at most 30)',
  ARIADNE_JOB_CONCURRENCY: 'jobs run at once by one worker process (default: twice the hashing threads, plus 2)',
  ARIADNE_JOB_LEASE_MS: 'how long a running job is held before another process may take it over (default 30000)',
  ARIADNE_JOB_POLL_MS: 'how often an idle worker looks for jobs (default 500)',
  ARIADNE_JOB_MAX_ATTEMPTS: 'attempts before a job is recorded as failed (default 5)',
  ARIADNE_HASH_THREADS: 'hashing worker threads (default: number of cores)',
  ARIADNE_VISION_THREADS: 'face and scene worker threads, used only while no triage job is due (default: as ARIADNE_HASH_THREADS)',
  ARIADNE_INDEX_REFRESH_MS: 'how often the in-memory indexes pick up other processes\' changes (default 1000)',
  ARIADNE_INDEX_SNAPSHOT_MINUTES: 'how often index snapshots are saved, for a fast restart (default 15; also at shutdown)',
  ARIADNE_CATEGORY_QUORUM: 'investigators who must agree on an item\'s category before it is settled (default 3)',
  ARIADNE_LOG_LEVEL: 'fatal, error, warn, info (default), debug, trace or silent',
  ARIADNE_SHUTDOWN_TIMEOUT_MS: 'graceful shutdown limit before in-flight work is abandoned (default 30000)',
} as const;

export type SettingName = keyof typeof SETTINGS;
type Source = Partial<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  readonly env?: Source;
  readonly cwd?: string;
  readonly cpuCount?: number;
}

export function loadConfig(options: LoadConfigOptions = {}): AriadneConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = readConfigFile(env.ARIADNE_CONFIG_FILE, cwd);
  const get = (name: SettingName): string | undefined => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = file[name];
    return fromFile === undefined || fromFile === '' ? undefined : fromFile;
  };
  const path = (name: SettingName, fallback: string) => resolve(cwd, get(name) ?? fallback);

  const dataDir = path('ARIADNE_DATA_DIR', './data');
  const database = parseDatabase(get('ARIADNE_DATABASE_URL'), dataDir, cwd, int(get, 'ARIADNE_DATABASE_POOL_SIZE', 10, 1, 1000));
  const blobStore = parseBlobStore(get, dataDir, cwd);
  const masterKey = parseMasterKey(get, dataDir, cwd);
  const certPath = get('ARIADNE_TLS_CERT');
  const keyPath = get('ARIADNE_TLS_KEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new ConfigError(certPath === undefined ? 'ARIADNE_TLS_CERT' : 'ARIADNE_TLS_KEY', 'TLS needs both ARIADNE_TLS_CERT and ARIADNE_TLS_KEY');
  }
  let tls: AriadneConfig['http']['tls'];
  if (certPath !== undefined && keyPath !== undefined) {
    tls = { certPath: existingFile('ARIADNE_TLS_CERT', resolve(cwd, certPath)), keyPath: existingFile('ARIADNE_TLS_KEY', resolve(cwd, keyPath)) };
  }
  const clientCa = get('ARIADNE_TLS_CLIENT_CA');
  if (clientCa !== undefined) {
    if (tls === undefined) throw new ConfigError('ARIADNE_TLS_CLIENT_CA', 'mutual TLS needs ARIADNE_TLS_CERT and ARIADNE_TLS_KEY as well');
    tls = { ...tls, clientCaPath: existingFile('ARIADNE_TLS_CLIENT_CA', resolve(cwd, clientCa)) };
  }
  const cpuCount = options.cpuCount ?? 1;
  const hashThreads = int(get, 'ARIADNE_HASH_THREADS', Math.max(1, cpuCount), 1, 256);
  return {
    dataDir,
    database,
    blobStore,
    masterKey,
    http: {
      host: host(get('ARIADNE_HOST') ?? '127.0.0.1'),
      port: int(get, 'ARIADNE_PORT', 8080, 0, 65535),
      tls,
      bodyLimitBytes: int(get, 'ARIADNE_BODY_LIMIT_MB', 16, 1, 4096) * 1024 * 1024,
      maxUploadBytes: int(get, 'ARIADNE_MAX_UPLOAD_MB', 2048, 1, 1_048_576) * 1024 * 1024,
    },
    jobs: {
      // Jobs spend much of their time on storage and the database: twice as many as hashing threads (plus two) keep
      // every thread busy, while each job holds at most one file in memory.
      concurrency: int(get, 'ARIADNE_JOB_CONCURRENCY', 2 * hashThreads + 2, 0, 256),
      leaseMs: int(get, 'ARIADNE_JOB_LEASE_MS', 30_000, 500, 86_400_000),
      pollMs: int(get, 'ARIADNE_JOB_POLL_MS', 500, 10, 60_000),
      maxAttempts: int(get, 'ARIADNE_JOB_MAX_ATTEMPTS', 5, 1, 100),
    },
    hashThreads,
    visionThreads: int(get, 'ARIADNE_VISION_THREADS', hashThreads, 1, 64),
    index: {
      refreshMs: int(get, 'ARIADNE_INDEX_REFRESH_MS', 1000, 50, 3_600_000),
      snapshotMs: int(get, 'ARIADNE_INDEX_SNAPSHOT_MINUTES', 15, 1, 10_080) * 60_000,
    },
    uploads: { expiryMs: int(get, 'ARIADNE_UPLOAD_EXPIRY_HOURS', 24, 1, 8760) * 3_600_000 },
    video: { ffmpegPath: get('ARIADNE_FFMPEG') || undefined, sampleFps: int(get, 'ARIADNE_VIDEO_FPS', 1, 1, 30) },
    cases: { categoryQuorum: int(get, 'ARIADNE_CATEGORY_QUORUM', 3, 1, 50) },
    auth: {
      sessionIdleMs: int(get, 'ARIADNE_SESSION_IDLE_MINUTES', 30, 1, 1440) * 60_000,
      sessionMaxMs: int(get, 'ARIADNE_SESSION_MAX_HOURS', 12, 1, 168) * 3_600_000,
      loginMaxFailures: int(get, 'ARIADNE_LOGIN_MAX_FAILURES', 5, 1, 100),
      loginLockMs: int(get, 'ARIADNE_LOGIN_LOCK_MINUTES', 15, 1, 1440) * 60_000,
      loginRatePerMinute: int(get, 'ARIADNE_LOGIN_RATE_PER_MINUTE', 20, 1, 10_000),
    },
    logLevel: oneOf(get, 'ARIADNE_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    shutdownTimeoutMs: int(get, 'ARIADNE_SHUTDOWN_TIMEOUT_MS', 30_000, 100, 3_600_000),
  };
}

/** The configuration with secrets replaced, for logs and `ariadne config`. */
export function describeConfig(config: AriadneConfig): Record<string, unknown> {
  const database =
    config.database.dialect === 'postgres' ? { ...config.database, url: redactUrl(config.database.url) } : config.database;
  const blobStore =
    config.blobStore.kind === 's3'
      ? { ...config.blobStore, secretAccessKey: config.blobStore.secretAccessKey ? '***' : undefined }
      : config.blobStore;
  const masterKey = config.masterKey.source === 'env' ? { source: 'env', hex: '***' } : config.masterKey;
  return { ...config, database, blobStore, masterKey };
}

function readConfigFile(name: string | undefined, cwd: string): Record<string, string> {
  if (name === undefined || name === '') return {};
  const path = resolve(cwd, name);
  if (!existsSync(path)) throw new ConfigError('ARIADNE_CONFIG_FILE', `file ${path} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('ARIADNE_CONFIG_FILE', `file ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('ARIADNE_CONFIG_FILE', `file ${path} must hold a JSON object of setting names to values`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in SETTINGS) || key === 'ARIADNE_CONFIG_FILE') {
      throw new ConfigError(key, `unknown setting in ${path}; known settings: ${Object.keys(SETTINGS).join(', ')}`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(key, `must be a string, number or boolean in ${path}`);
    }
    out[key] = String(value);
  }
  return out;
}

function parseDatabase(url: string | undefined, dataDir: string, cwd: string, poolSize: number): DatabaseConfig {
  if (url === undefined) return { dialect: 'sqlite', path: resolve(dataDir, 'ariadne.sqlite') };
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      if (parsed.pathname.length <= 1) throw new Error('no database name');
    } catch (error) {
      throw new ConfigError('ARIADNE_DATABASE_URL', `not a valid postgres:// URL (${(error as Error).message})`);
    }
    return { dialect: 'postgres', url, poolSize };
  }
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/i.exec(url) ?? /^file:(?:\/\/)?(.+)$/i.exec(url);
  if (sqlite) {
    const path = sqlite[1];
    return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  throw new ConfigError('ARIADNE_DATABASE_URL', `expected postgres://… or sqlite:PATH, got "${redactUrl(url)}"`);
}

function parseBlobStore(get: (name: SettingName) => string | undefined, dataDir: string, cwd: string): BlobStoreConfig {
  const kind = oneOf(get, 'ARIADNE_BLOB_STORE', ['local', 's3'] as const, 'local');
  if (kind === 'local') return { kind, root: resolve(cwd, get('ARIADNE_BLOB_DIR') ?? resolve(dataDir, 'blobs')) };
  const bucket = get('ARIADNE_S3_BUCKET');
  if (bucket === undefined) throw new ConfigError('ARIADNE_S3_BUCKET', 'required when ARIADNE_BLOB_STORE=s3');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('ARIADNE_S3_BUCKET', `"${bucket}" is not a valid bucket name`);
  const endpoint = get('ARIADNE_S3_ENDPOINT');
  if (endpoint !== undefined) {
    try {
      const u = new URL(endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be http or https');
    } catch (error) {
      throw new ConfigError('ARIADNE_S3_ENDPOINT', `not a valid URL (${(error as Error).message})`);
    }
  }
  const accessKeyId = get('ARIADNE_S3_ACCESS_KEY_ID');
  const secretAccessKey = get('ARIADNE_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId === undefined ? 'ARIADNE_S3_ACCESS_KEY_ID' : 'ARIADNE_S3_SECRET_ACCESS_KEY', 'set both the access key id and the secret, or neither');
  }
  const prefix = get('ARIADNE_S3_PREFIX') ?? '';
  if (prefix.startsWith('/')) throw new ConfigError('ARIADNE_S3_PREFIX', 'must not start with /');
  return {
    kind,
    endpoint,
    region: get('ARIADNE_S3_REGION') ?? 'us-east-1',
    bucket,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: bool(get, 'ARIADNE_S3_FORCE_PATH_STYLE', false),
    prefix,
  };
}

function parseMasterKey(get: (name: SettingName) => string | undefined, dataDir: string, cwd: string): MasterKeyConfig {
  const hex = get('ARIADNE_MASTER_KEY');
  if (hex !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ConfigError('ARIADNE_MASTER_KEY', 'must be 64 hexadecimal digits (256 bits)');
    if (get('ARIADNE_MASTER_KEY_FILE') !== undefined) {
      throw new ConfigError('ARIADNE_MASTER_KEY', 'set either ARIADNE_MASTER_KEY or ARIADNE_MASTER_KEY_FILE, not both');
    }
    return { source: 'env', hex: hex.toLowerCase() };
  }
  return { source: 'file', path: resolve(cwd, get('ARIADNE_MASTER_KEY_FILE') ?? resolve(dataDir, 'keys', 'master.key')) };
}

function int(get: (name: SettingName) => string | undefined, name: SettingName, fallback: number, min: number, max: number): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(get: (name: SettingName) => string | undefined, name: SettingName, fallback: boolean): boolean {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(get: (name: SettingName) => string | undefined, name: SettingName, allowed: readonly T[], fallback: T): T {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return v as T;
}

function host(value: string): string {
  if (!/^[A-Za-z0-9.:_-]+$/.test(value) && value !== '::') throw new ConfigError('ARIADNE_HOST', `"${value}" is not a host name or address`);
  return value;
}

function existingFile(name: SettingName, path: string): string {
  if (!existsSync(path)) throw new ConfigError(name, `file ${path} does not exist`);
  return path;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}
