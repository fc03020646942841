import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, pipeline } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';

import { AriadneError, ConfigError, NotFoundError, UnavailableError } from '../core/errors.js';
import { assertSha256, readAll, shardedKey } from './blob-store.js';
import type { BlobStore, PutResult } from './blob-store.js';
import { OpenStream, openWhole, sealWhole, type SealedBlob } from './envelope.js';
import { describeError } from './fs-util.js';
import type { MasterKeyring } from './master-key.js';
import { sealToFile } from './seal-to-file.js';
import { DEFAULT_STALE_TEMP_MS, removeStaleTempFiles, tempFileName } from './temp-files.js';

export interface S3BlobStoreOptions {
  /** Endpoint URL of an S3-compatible service (MinIO, Ceph, s3rver); omit for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Static credentials; omit to use the SDK's default chain (environment, instance role, profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `bucket` in the path instead of the host name; most self-hosted services need true. */
  forcePathStyle?: boolean;
  /** Key prefix for every object, e.g. `ariadne/blobs/`; a missing trailing slash is added. */
  prefix?: string;
  keyring: MasterKeyring;
  /**
   * Local directory under which puts spool their envelopes (ciphertext only) before the upload, in `s3-spool/`
   * (created 0700). Default: the OS temporary directory. Needs room for the largest blobs being put at once.
   */
  tmpDir?: string;
  /** Multipart part size in bytes, at least 5 MiB (the S3 minimum); default 16 MiB. Envelopes up to it go up in one PutObject. */
  partSizeBytes?: number;
  /** Parts uploaded at once per put; default 4. Memory per put is about partSizeBytes times this. */
  uploadConcurrency?: number;
  /** Per-request timeout (ms) and connection timeout (ms); defaults 120 000 and 5 000. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** SDK attempts per request (retries of throttling and network errors); default 3. */
  maxAttempts?: number;
  /** log2 of the envelope segment size; default 16 (64 KiB). */
  segmentSizeLog2?: number;
  /** Spool files untouched this long are removed at open; default 1 hour. */
  staleTempMs?: number;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Encrypted, content-addressed blobs in an S3 bucket under `<prefix>ab/cd/<sha256>`; the bucket only ever holds
 * envelopes (ciphertext).
 *
 * How a put works, and why: the address (the plaintext's SHA-256) is known only after the last byte, so the
 * envelope is first spooled to a local file while it is hashed and encrypted (the same one pass as the local
 * store; the spool holds ciphertext only). Then the final key is checked and, when absent, the file is uploaded
 * straight to it: a PutObject for an envelope up to one part, else a multipart upload (parts read from the file,
 * a few in flight, so memory stays bounded however large the video). S3 makes an object visible only when the
 * PutObject or CompleteMultipartUpload succeeds, so the final key never holds a half-written object, and a failed
 * multipart upload is aborted. Compared with uploading to a temporary key and copying: a duplicate (common: the
 * same seized files arrive again and again) costs no upload at all; there is no copy (which S3 limits to 5 GiB
 * per CopyObject) and no second write of every byte; parts can be retried from disk. The price is local disk room
 * for the envelopes in flight. A process that crashes mid-upload leaves an incomplete multipart upload, invisible
 * but billed: give the bucket a lifecycle rule "AbortIncompleteMultipartUpload after 1 day".
 *
 * Two puts of the same new bytes at the same moment may both upload; the second replaces the object with another
 * envelope of the same plaintext, which readers cannot tell apart, and both report created: true.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;
  /** How many crashed writers' spool files `open` removed (for the start-up log). */
  readonly staleTempFilesRemoved: number;
  private readonly client: S3Client;
  private readonly keyring: MasterKeyring;
  private readonly spoolDir: string;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly segmentSizeLog2: number | undefined;
  private readonly where: string;
  private closed = false;
  /** Uploads in progress in this process, by object key (see inTurn). */
  private readonly uploading = new Map<string, Promise<void>>();

  private constructor(options: S3BlobStoreOptions, spoolDir: string, staleTempFilesRemoved: number) {
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix);
    this.keyring = options.keyring;
    this.spoolDir = spoolDir;
    this.partSize = options.partSizeBytes ?? DEFAULT_PART_BYTES;
    this.concurrency = options.uploadConcurrency ?? 4;
    this.segmentSizeLog2 = options.segmentSizeLog2;
    this.staleTempFilesRemoved = staleTempFilesRemoved;
    this.where = `s3://${options.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 120_000,
      },
    });
  }

  /** Validates the options, prepares the spool directory (removing crashed writers' files); does not contact S3. */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    if (!options.bucket) throw new ConfigError('ARIADNE_S3_BUCKET', 'a bucket name is required');
    if (!options.region) throw new ConfigError('ARIADNE_S3_REGION', 'a region is required (any value for most self-hosted services)');
    if (options.credentials && (!options.credentials.accessKeyId || !options.credentials.secretAccessKey)) {
      throw new ConfigError('ARIADNE_S3_ACCESS_KEY_ID', 'give both the access key id and the secret access key, or neither');
    }
    if (options.endpoint !== undefined) {
      try {
        new URL(options.endpoint);
      } catch {
        throw new ConfigError('ARIADNE_S3_ENDPOINT', `not a URL: ${options.endpoint}`);
      }
    }
    const part = options.partSizeBytes ?? DEFAULT_PART_BYTES;
    if (!Number.isInteger(part) || part < MIN_PART_BYTES) throw new RangeError(`partSizeBytes must be an integer of at least ${MIN_PART_BYTES}`);
    const concurrency = options.uploadConcurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('uploadConcurrency must be a positive integer');
    const spoolDir = options.tmpDir ? resolve(options.tmpDir, 's3-spool') : join(tmpdir(), 'ariadne-s3-spool');
    try {
      await mkdir(spoolDir, { recursive: true, mode: 0o700 });
      const removed = await removeStaleTempFiles(spoolDir, options.staleTempMs ?? DEFAULT_STALE_TEMP_MS);
      return new S3BlobStore(options, spoolDir, removed);
    } catch (error) {
      throw new UnavailableError(`S3 blob store spool directory ${spoolDir} cannot be prepared: ${describeError(error)}`, { spoolDir }, { cause: error });
    }
  }

  /** The object key of a blob (for maintenance tools and tests). */
  objectKey(sha256: string): string {
    assertSha256(sha256);
    return `${this.prefix}${shardedKey(sha256)}`;
  }

  async put(source: Readable | Buffer, options: { expectedSha256?: string } = {}): Promise<PutResult> {
    this.assertOpen();
    if (options.expectedSha256 !== undefined) assertSha256(options.expectedSha256, 'expectedSha256');
    const spoolPath = join(this.spoolDir, tempFileName());
    try {
      const sealed = await sealToFile(source, spoolPath, this.keyring, {
        expectedSha256: options.expectedSha256,
        segmentSizeLog2: this.segmentSizeLog2,
      });
      const key = this.objectKey(sealed.sha256);
      // Puts of the same content from this process take turns: the second finds the object and uploads nothing.
      // (Across processes S3 makes each PUT atomic, so racing uploads still leave one whole object.)
      const created = await this.inTurn(key, async () => {
        if (await this.exists(key)) return false;
        if (sealed.envelopeBytes <= this.partSize) await this.uploadWhole(spoolPath, key, sealed.envelopeBytes);
        else await this.uploadMultipart(spoolPath, key, sealed.envelopeBytes);
        return true;
      });
      return { sha256: sealed.sha256, size: sealed.size, created };
    } catch (error) {
      throw this.wrap(error, 'put');
    } finally {
      await unlink(spoolPath).catch(() => undefined);
    }
  }

  private async inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.uploading.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.uploading.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.uploading.get(key) === settled) this.uploading.delete(key);
    }
  }

  private async uploadWhole(path: string, key: string, length: number): Promise<void> {
    const body = await readRange(path, 0, length);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: length, ContentType: 'application/octet-stream' }),
    );
  }

  private async uploadMultipart(path: string, key: string, length: number): Promise<void> {
    // Grow the part size when the object would need more than S3's 10 000 parts.
    const partSize = Math.max(this.partSize, Math.ceil(length / MAX_PARTS));
    const partCount = Math.ceil(length / partSize);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new UnavailableError(`${this.where}: CreateMultipartUpload returned no upload id`);
    try {
      const parts: CompletedPart[] = new Array(partCount);
      let next = 0;
      const worker = async () => {
        while (next < partCount) {
          const index = next++;
          const offset = index * partSize;
          const size = Math.min(partSize, length - offset);
          const body = await readRange(path, offset, size);
          const answer = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body, ContentLength: size }),
          );
          parts[index] = { PartNumber: index + 1, ETag: answer.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, partCount) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }

  async get(sha256: string): Promise<Readable> {
    this.assertOpen();
    const key = this.objectKey(sha256);
    let body: unknown;
    try {
      body = (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body;
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`blob ${sha256} not found`, { sha256 });
      throw this.wrap(error, 'get');
    }
    if (!(body instanceof Readable)) throw new UnavailableError(`${this.where}: GetObject returned no stream for ${key}`);
    const reader = new OpenStream(this.keyring, { blob: sha256, expectedSha256: sha256 });
    // A connection dropped mid-body reaches the reader as an error; a consumer stopping early frees the socket.
    pipeline(body, reader, () => undefined);
    return reader;
  }

  async getBuffer(sha256: string): Promise<Buffer> {
    return readAll(await this.get(sha256));
  }

  sealInline(bytes: Buffer): SealedBlob {
    this.assertOpen();
    return sealWhole(this.keyring, bytes, { segmentSizeLog2: this.segmentSizeLog2 });
  }

  openInline(sha256: string, envelope: Uint8Array): Buffer {
    this.assertOpen();
    return openWhole(this.keyring, sha256, envelope);
  }

  async has(sha256: string): Promise<boolean> {
    this.assertOpen();
    try {
      return await this.exists(this.objectKey(sha256));
    } catch (error) {
      throw this.wrap(error, 'has');
    }
  }

  async delete(sha256: string): Promise<void> {
    this.assertOpen();
    const key = this.objectKey(sha256);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.wrap(error, 'delete');
    }
  }

  /** HeadBucket, then a random probe blob stored, read back and deleted. */
  async check(): Promise<{ ok: boolean; detail?: string }> {
    try {
      this.assertOpen();
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).catch((error: unknown) => {
        throw this.wrap(error, 'HeadBucket');
      });
      const probe = randomBytes(64);
      const { sha256 } = await this.put(probe);
      try {
        const back = await this.getBuffer(sha256);
        if (!back.equals(probe)) return { ok: false, detail: `${this.where}: probe read back different bytes` };
      } finally {
        await this.delete(sha256);
      }
      return { ok: true, detail: this.where };
    } catch (error) {
      return { ok: false, detail: describeError(error) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError(`S3 blob store ${this.where} is closed`);
  }

  /** Typed errors pass through; everything S3 or the network throws becomes UnavailableError saying what failed. */
  private wrap(error: unknown, operation: string): Error {
    if (error instanceof AriadneError) return error;
    const code = errorCode(error);
    const status = httpStatus(error);
    let reason: string;
    if (code && NETWORK_CODES.has(code)) reason = `endpoint unreachable (${code})`;
    else if (isTimeout(error)) reason = 'request timed out';
    else if (code === 'NoSuchBucket') reason = `bucket ${this.bucket} does not exist`;
    else if (status === 403 || code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
      reason = `access denied (${code ?? status}): check the credentials and the bucket policy`;
    } else if (error instanceof Error && !code && status === undefined && !('$metadata' in error)) {
      // Not from S3 at all (a failing source stream, a spool disk error): keep it as it is.
      return error;
    } else reason = `${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${describeError(error)}`;
    return new UnavailableError(`S3 blob store ${this.where}: ${operation} failed: ${reason}`, { bucket: this.bucket, operation, code, status }, { cause: error });
  }
}

function normalisePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new Error(`spool file ${path} ended early at ${offset + filled} of ${offset + length} bytes`);
      filled += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; name?: unknown; Code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string') return record.code;
  if (typeof record.Code === 'string') return record.Code;
  // Node's fetch-less http stack reports ECONNREFUSED on an AggregateError (IPv4 and IPv6 both refused).
  if (Array.isArray(record.errors)) for (const inner of record.errors) {
    const code = errorCode(inner);
    if (code) return code;
  }
  if (record.cause) {
    const code = errorCode(record.cause);
    if (code) return code;
  }
  return typeof record.name === 'string' && record.name !== 'Error' ? record.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound' || (httpStatus(error) === 404 && code !== 'NoSuchBucket');
}

function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'TimeoutError' || code === 'RequestTimeout' || code === 'ETIMEDOUT';
}
