import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createRequire } from 'node:module';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ConfigError, UnavailableError } from '../../src/core/errors.js';
import { envelopeSize } from '../../src/storage/envelope.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import type { S3BlobStoreOptions } from '../../src/storage/s3-blob-store.js';
import { missing } from '../support/requirements.js';
import { blobStoreContract, generatedStream, sha256Of } from './blob-store.contract.js';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';
let server: { run(): Promise<{ port: number }>; close(): Promise<void> } | undefined;
let serverDir: string;
let endpoint: string;
let admin: S3Client;
let bucketCount = 0;

function resolvable(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** s3rver is a dev dependency: an install without dev dependencies skips these tests loudly. */
const skip = missing('s3rver (npm dev dependency) for the S3 blob store tests', resolvable('s3rver'));

beforeAll(async () => {
  if (skip) return;
  serverDir = await mkdtemp(join(tmpdir(), 'ariadne-s3rver-'));
  const { default: S3rver } = await import('s3rver');
  server = new S3rver({ address: '127.0.0.1', port: 0, directory: serverDir, silent: true });
  const address = await server.run();
  endpoint = `http://127.0.0.1:${address.port}`;
  admin = new S3Client({ region, endpoint, forcePathStyle: true, credentials });
});

afterAll(async () => {
  admin?.destroy();
  await server?.close();
  if (serverDir) await rm(serverDir, { recursive: true, force: true });
});

async function newBucket(): Promise<string> {
  const bucket = `ariadne-test-${++bucketCount}`;
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const answer = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (answer.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function listKeys(bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function openStore(overrides: Partial<S3BlobStoreOptions> = {}): Promise<{ store: S3BlobStore; bucket: string; tmp: string }> {
  const bucket = overrides.bucket ?? (await newBucket());
  const tmp = await mkdtemp(join(tmpdir(), 'ariadne-s3-tmp-'));
  const store = await S3BlobStore.open({
    endpoint,
    region,
    bucket,
    credentials,
    forcePathStyle: true,
    keyring: createKeyring(generateMasterKey()),
    tmpDir: tmp,
    // The S3 minimum, so the large contract blob goes up as a multipart upload of three parts.
    partSizeBytes: 5 * 1024 * 1024,
    ...overrides,
  });
  return { store, bucket, tmp };
}

blobStoreContract('s3 (s3rver)', async () => {
  const { store, bucket, tmp } = await openStore({ prefix: 'ariadne/blobs' });
  return {
    store,
    async rewriteStored(sha256, mutate) {
      const key = store.objectKey(sha256);
      const replaced = mutate(await objectBytes(bucket, key));
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: replaced, ContentLength: replaced.length }));
    },
    async leftovers() {
      return readdir(join(tmp, 's3-spool'));
    },
    async storedAddresses() {
      return (await listKeys(bucket)).map((key) => key.slice(key.lastIndexOf('/') + 1));
    },
    async dispose() {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}, { skip });

describe.skipIf(skip !== undefined)('S3BlobStore', () => {
  it('stores ciphertext only, under <prefix>ab/cd/<sha256>', async () => {
    const { store, bucket, tmp } = await openStore({ prefix: 'ariadne/blobs' });
    try {
      const bytes = Buffer.alloc(100_000, 'plaintext marker ');
      const { sha256 } = await store.put(bytes);
      const key = `ariadne/blobs/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
      expect(store.objectKey(sha256)).toBe(key);
      expect(await listKeys(bucket)).toEqual([key]);
      const stored = await objectBytes(bucket, key);
      expect(stored.subarray(0, 4).toString('latin1')).toBe('ARDB');
      expect(stored.includes(Buffer.from('plaintext marker'))).toBe(false);
    } finally {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('uploads envelopes larger than a part as a multipart upload, and reads them back', async () => {
    const { store, bucket, tmp } = await openStore({ uploadConcurrency: 2 });
    const send = vi.spyOn(S3Client.prototype, 'send');
    try {
      const size = 11 * 1024 * 1024;
      const { stream, sha256 } = generatedStream(size, 7);
      expect(await store.put(stream)).toEqual({ sha256, size, created: true });
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      expect(commands).toEqual([
        'HeadObjectCommand',
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ]);
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: store.objectKey(sha256) }));
      expect(head.ContentLength).toBe(envelopeSize(size));
      expect(sha256Of(await store.getBuffer(sha256))).toBe(sha256);
    } finally {
      send.mockRestore();
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('aborts a multipart upload that fails part-way and leaves nothing at the final key', async () => {
    const { store, bucket, tmp } = await openStore({ uploadConcurrency: 1 });
    const original = S3Client.prototype.send;
    let parts = 0;
    const send = vi.spyOn(S3Client.prototype, 'send').mockImplementation(function (this: S3Client, command: unknown, ...rest: unknown[]) {
      if (command instanceof UploadPartCommand && ++parts === 2) {
        return Promise.reject(Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }));
      }
      return (original as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as typeof original);
    try {
      const { stream, sha256 } = generatedStream(11 * 1024 * 1024, 8);
      const error = await store.put(stream).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toMatch(/put failed: InternalError \(HTTP 500\)/);
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      expect(commands.at(-1)).toBe('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      send.mockRestore();
      expect(await store.has(sha256)).toBe(false);
      expect(await listKeys(bucket)).toEqual([]);
      expect(await readdir(join(tmp, 's3-spool'))).toEqual([]);
    } finally {
      send.mockRestore();
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('does not upload bytes that are already stored', async () => {
    const { store, bucket, tmp } = await openStore();
    try {
      const bytes = randomBytes(10_000);
      const { sha256 } = await store.put(bytes);
      const before = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: store.objectKey(sha256) }));
      await new Promise((resolve) => setTimeout(resolve, 1100)); // LastModified has one-second resolution
      expect((await store.put(bytes)).created).toBe(false);
      const after = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: store.objectKey(sha256) }));
      expect(after.ETag).toBe(before.ETag);
      expect(after.LastModified?.getTime()).toBe(before.LastModified?.getTime());
    } finally {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('reports an unreachable endpoint as UnavailableError, and check() as not ok', async () => {
    const port = await closedPort();
    const { store, tmp } = await openStore({ bucket: 'nowhere', endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    try {
      const put = await store.put(Buffer.from('x')).catch((error: unknown) => error);
      expect(put).toBeInstanceOf(UnavailableError);
      expect((put as Error).message).toMatch(/unreachable \(ECONNREFUSED\)/);
      await expect(store.get(sha256Of(Buffer.from('x')))).rejects.toBeInstanceOf(UnavailableError);
      await expect(store.has(sha256Of(Buffer.from('x')))).rejects.toBeInstanceOf(UnavailableError);
      const check = await store.check();
      expect(check.ok).toBe(false);
      expect(check.detail).toMatch(/HeadBucket failed: endpoint unreachable/);
      expect(await readdir(join(tmp, 's3-spool'))).toEqual([]);
    } finally {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('reports a missing bucket as UnavailableError naming it', async () => {
    const { store, tmp } = await openStore({ bucket: 'no-such-bucket', maxAttempts: 1 });
    try {
      await expect(store.put(Buffer.from('x'))).rejects.toThrow(/bucket no-such-bucket does not exist/);
      expect((await store.check()).ok).toBe(false);
    } finally {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('refuses bad options with errors naming the setting', async () => {
    await expect(S3BlobStore.open({ region, bucket: '', keyring: createKeyring(generateMasterKey()) })).rejects.toBeInstanceOf(ConfigError);
    await expect(S3BlobStore.open({ region, bucket: 'b', endpoint: 'not a url', keyring: createKeyring(generateMasterKey()) })).rejects.toThrow(
      /ARIADNE_S3_ENDPOINT/,
    );
    await expect(S3BlobStore.open({ region, bucket: 'b', partSizeBytes: 1024, keyring: createKeyring(generateMasterKey()) })).rejects.toThrow(RangeError);
  });
});

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
