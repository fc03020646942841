import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

import { assertSha256 } from './blob-store.js';
import { IntegrityError } from '../core/errors.js';
import { MASTER_KEY_ID_BYTES, type MasterKeyring } from './master-key.js';
import { ByteQueue } from './byte-queue.js';
import {
  DATA_KEY_BYTES,
  DEFAULT_SEGMENT_SIZE_LOG2,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  HEADER_BYTES,
  MAX_SEGMENTS,
  MAX_SEGMENT_SIZE_LOG2,
  MIN_SEGMENT_SIZE_LOG2,
  NONCE_PREFIX_BYTES,
  OFFSET_KEY_ID,
  OFFSET_NONCE_PREFIX,
  OFFSET_SEGMENT_LOG2,
  OFFSET_VERSION,
  OFFSET_WRAPPED_KEY,
  OFFSET_WRAP_NONCE,
  OFFSET_WRAP_TAG,
  TAG_BYTES,
  WRAP_NONCE_BYTES,
  segmentNonce,
} from './envelope-format.js';

/**
 * Sealing and opening blob envelopes (the format: envelope-format.ts): streams for large blobs, and whole-buffer
 * variants for blobs held in memory.
 */

export {
  DATA_KEY_BYTES,
  DEFAULT_SEGMENT_SIZE_LOG2,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  HEADER_BYTES,
  MAX_SEGMENT_SIZE_LOG2,
  MIN_SEGMENT_SIZE_LOG2,
  NONCE_PREFIX_BYTES,
  TAG_BYTES,
  WRAP_NONCE_BYTES,
  envelopeSize,
} from './envelope-format.js';

export interface SealOptions {
  /** log2 of the plaintext segment size; 16 (64 KiB) unless a test wants many segments from few bytes. */
  segmentSizeLog2?: number;
}

/**
 * Encrypts a plaintext stream into an envelope. While it runs it hashes the plaintext: after the stream finished,
 * `sha256()` and `size` describe the plaintext (the blob's address and length).
 */
/**
 * The sealing side of an envelope, synchronous: a fresh data key and nonce prefix, the header, then segments in
 * order. SealStream drives it from a stream; sealBytes seals a whole buffer at once (renditions, small files).
 */
class EnvelopeSealer {
  readonly header: Buffer;
  private readonly dataKey: Buffer;
  private readonly noncePrefix: Buffer;
  readonly segmentSize: number;
  private index = 0;

  constructor(keyring: MasterKeyring, options: SealOptions = {}) {
    const log2 = options.segmentSizeLog2 ?? DEFAULT_SEGMENT_SIZE_LOG2;
    if (!Number.isInteger(log2) || log2 < MIN_SEGMENT_SIZE_LOG2 || log2 > MAX_SEGMENT_SIZE_LOG2) {
      throw new RangeError(`segmentSizeLog2 must be an integer in ${MIN_SEGMENT_SIZE_LOG2}..${MAX_SEGMENT_SIZE_LOG2}`);
    }
    this.segmentSize = 2 ** log2;
    // One draw from the generator for the three random values (each draw costs a fork check, a system call).
    const random = randomBytes(DATA_KEY_BYTES + NONCE_PREFIX_BYTES + WRAP_NONCE_BYTES);
    this.dataKey = random.subarray(0, DATA_KEY_BYTES);
    this.noncePrefix = random.subarray(DATA_KEY_BYTES, DATA_KEY_BYTES + NONCE_PREFIX_BYTES);
    const wrapNonce = random.subarray(DATA_KEY_BYTES + NONCE_PREFIX_BYTES);
    const master = keyring.current;
    const header = Buffer.alloc(HEADER_BYTES);
    ENVELOPE_MAGIC.copy(header, 0);
    header[OFFSET_VERSION] = ENVELOPE_VERSION;
    header[OFFSET_SEGMENT_LOG2] = log2;
    Buffer.from(master.id, 'hex').copy(header, OFFSET_KEY_ID);
    this.noncePrefix.copy(header, OFFSET_NONCE_PREFIX);
    wrapNonce.copy(header, OFFSET_WRAP_NONCE);
    const wrap = createCipheriv('aes-256-gcm', master.key, wrapNonce);
    wrap.setAAD(header.subarray(0, OFFSET_WRAP_NONCE));
    const wrapped = Buffer.concat([wrap.update(this.dataKey), wrap.final()]);
    wrapped.copy(header, OFFSET_WRAPPED_KEY);
    wrap.getAuthTag().copy(header, OFFSET_WRAP_TAG);
    this.header = header;
  }

  /** Seals the next segment; the ciphertext pieces and the tag, in order. */
  seal(plaintext: Buffer, final: boolean): Buffer[] {
    if (this.index >= MAX_SEGMENTS) throw new RangeError('blob too large for one envelope (2^32 segments)');
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, segmentNonce(this.noncePrefix, this.index, final));
    cipher.setAAD(this.header);
    const body = cipher.update(plaintext);
    const tail = cipher.final();
    this.index++;
    const out: Buffer[] = [];
    if (body.length) out.push(body);
    if (tail.length) out.push(tail);
    out.push(cipher.getAuthTag());
    return out;
  }

  /** Forgets the data key (once the last segment is sealed, or on failure). */
  wipe(): void {
    this.dataKey.fill(0);
  }
}

export class SealStream extends Transform {
  private readonly sealer: EnvelopeSealer;
  private readonly segmentSize: number;
  private readonly pending = new ByteQueue();
  private readonly hash: Hash = createHash('sha256');
  private headerSent = false;
  private digest: string | undefined;
  /** Plaintext bytes seen so far. */
  size = 0;

  constructor(keyring: MasterKeyring, options: SealOptions = {}) {
    super();
    this.sealer = new EnvelopeSealer(keyring, options);
    this.segmentSize = this.sealer.segmentSize;
  }

  /** SHA-256 of the plaintext, lowercase hex; available once the stream has flushed. */
  sha256(): string {
    if (this.digest === undefined) throw new Error('SealStream.sha256() called before the stream finished');
    return this.digest;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.sendHeader();
      this.hash.update(bytes);
      this.size += bytes.length;
      this.pending.push(bytes);
      // A full segment is sealed as non-final only once a byte beyond it exists: the last segment must be flagged.
      while (this.pending.length > this.segmentSize) this.seal(this.pending.take(this.segmentSize), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.sendHeader();
      this.seal(this.pending.take(this.pending.length), true);
      this.digest = this.hash.digest('hex');
      this.sealer.wipe();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sealer.wipe();
    callback(error);
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(Buffer.from(this.sealer.header));
  }

  private seal(plaintext: Buffer, final: boolean): void {
    for (const piece of this.sealer.seal(plaintext, final)) this.push(piece);
  }
}

/** A whole buffer sealed at once: the envelope's pieces in order (header, segments, tags) and the plaintext facts. */
export interface SealedBytes {
  readonly pieces: Buffer[];
  readonly envelopeBytes: number;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Seals a buffer synchronously, exactly as SealStream would seal the same bytes. `sha256`: the plaintext's digest
 * when the caller has just computed it from these bytes (it is not computed again).
 */
export function sealBytes(keyring: MasterKeyring, plaintext: Buffer, options: SealOptions = {}, sha256?: string): SealedBytes {
  const sealer = new EnvelopeSealer(keyring, options);
  try {
    const pieces: Buffer[] = [Buffer.from(sealer.header)];
    const size = sealer.segmentSize;
    let offset = 0;
    // Every full segment with bytes after it is non-final; the rest (possibly empty) is the final one.
    for (; plaintext.length - offset > size; offset += size) pieces.push(...sealer.seal(plaintext.subarray(offset, offset + size), false));
    pieces.push(...sealer.seal(plaintext.subarray(offset), true));
    let envelopeBytes = 0;
    for (const piece of pieces) envelopeBytes += piece.length;
    return { pieces, envelopeBytes, sha256: sha256 ?? createHash('sha256').update(plaintext).digest('hex'), size: plaintext.length };
  } finally {
    sealer.wipe();
  }
}

/** A small blob sealed whole, to be kept somewhere other than a blob store (the database: storage/inline-blobs.ts). */
export interface SealedBlob {
  /** SHA-256 of the plaintext, lowercase hex: the blob's address. */
  readonly sha256: string;
  /** Plaintext bytes. */
  readonly size: number;
  /** The envelope, in one piece. */
  readonly envelope: Uint8Array;
}

/** Seals a small buffer whole into one envelope (sealBytes' pieces joined), for keeping outside the blob store. */
export function sealWhole(keyring: MasterKeyring, plaintext: Buffer, options: SealOptions = {}): SealedBlob {
  const sealed = sealBytes(keyring, plaintext, options);
  return { sha256: sealed.sha256, size: sealed.size, envelope: Buffer.concat(sealed.pieces, sealed.envelopeBytes) };
}

/**
 * Opens an envelope kept outside the blob store, verified against its address (InvalidError for a malformed address,
 * IntegrityError when altered).
 */
export function openWhole(keyring: MasterKeyring, sha256: string, envelope: Uint8Array): Buffer {
  assertSha256(sha256);
  return OpenStream.openBytes(keyring, Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength), { blob: sha256, expectedSha256: sha256 });
}

export interface OpenOptions {
  /** Names the blob in error messages (its SHA-256 address, usually). */
  blob: string;
  /** When given, the plaintext's SHA-256 must equal it (lowercase hex); checked before the stream ends. */
  expectedSha256?: string;
}

/**
 * Decrypts and verifies an envelope. Emits plaintext one authenticated segment at a time, holds the last segment
 * back until the whole blob (final flag, plaintext SHA-256) verified, and fails with IntegrityError on any
 * alteration. Ending without an error means every byte was authentic.
 */
export class OpenStream extends Transform {
  private readonly keyring: MasterKeyring;
  private readonly blob: string;
  private readonly expected: Buffer | undefined;
  private readonly pending = new ByteQueue();
  private readonly hash: Hash = createHash('sha256');
  private header: Buffer | undefined;
  private dataKey: Buffer | undefined;
  private noncePrefix: Buffer | undefined;
  private segmentSize = 0;
  private index = 0;
  /** Plaintext bytes released or verified so far. */
  size = 0;

  constructor(keyring: MasterKeyring, options: OpenOptions) {
    super();
    this.keyring = keyring;
    this.blob = options.blob;
    if (options.expectedSha256 !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(options.expectedSha256)) throw new RangeError('expectedSha256 must be 64 lowercase hex digits');
      this.expected = Buffer.from(options.expectedSha256, 'hex');
    }
  }

  /**
   * A whole envelope in memory opened at once, with the same checks as the stream (IntegrityError on any
   * alteration): no stream machinery, for blobs read whole.
   */
  static openBytes(keyring: MasterKeyring, envelope: Buffer, options: OpenOptions): Buffer {
    const opener = new OpenStream(keyring, options);
    const parts: Buffer[] = [];
    const emit = (plaintext: Buffer) => void parts.push(plaintext);
    try {
      opener.consume(envelope, emit);
      opener.finish(emit);
    } finally {
      opener.dataKey?.fill(0);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, opener.size);
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, this.release);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish(this.release);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private readonly release = (plaintext: Buffer): void => void this.push(plaintext);

  /** Takes envelope bytes; releases each segment known not to be the last once it authenticated. */
  private consume(chunk: Buffer, emit: (plaintext: Buffer) => void): void {
    this.pending.push(chunk);
    if (!this.header) {
      if (this.pending.length < HEADER_BYTES) return;
      this.readHeader(this.pending.take(HEADER_BYTES));
    }
    // A segment is known not to be the last only when more bytes follow it.
    const stride = this.segmentSize + TAG_BYTES;
    while (this.pending.length > stride) {
      const plaintext = this.open(this.pending.take(stride), false);
      this.hash.update(plaintext);
      this.size += plaintext.length;
      emit(plaintext);
    }
  }

  /** The end of the envelope: the final segment, then the plaintext digest, before the last bytes are released. */
  private finish(emit: (plaintext: Buffer) => void): void {
    if (!this.header) throw this.fail(`truncated: ${this.pending.length} bytes, shorter than the ${HEADER_BYTES}-byte envelope header`);
    if (this.pending.length < TAG_BYTES) throw this.fail(`truncated after segment ${this.index - 1}: the final segment is missing`);
    const plaintext = this.open(this.pending.take(this.pending.length), true);
    this.hash.update(plaintext);
    this.size += plaintext.length;
    const digest = this.hash.digest();
    if (this.expected && !timingSafeEqual(digest, this.expected)) {
      throw this.fail(`plaintext SHA-256 is ${digest.toString('hex')}, not the address it is stored under`);
    }
    this.dataKey?.fill(0);
    if (plaintext.length) emit(plaintext);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.dataKey?.fill(0);
    callback(error);
  }

  private fail(reason: string, cause?: unknown): IntegrityError {
    return new IntegrityError(`blob ${this.blob} failed verification: ${reason}`, { blob: this.blob }, cause === undefined ? undefined : { cause });
  }

  private readHeader(header: Buffer): void {
    if (!header.subarray(0, 4).equals(ENVELOPE_MAGIC)) throw this.fail('not an Ariadne envelope (bad magic bytes)');
    const version = header[OFFSET_VERSION];
    if (version !== ENVELOPE_VERSION) throw this.fail(`unknown envelope version ${version}`);
    const log2 = header[OFFSET_SEGMENT_LOG2];
    if (log2 < MIN_SEGMENT_SIZE_LOG2 || log2 > MAX_SEGMENT_SIZE_LOG2) throw this.fail(`invalid segment size 2^${log2}`);
    const keyId = header.subarray(OFFSET_KEY_ID, OFFSET_KEY_ID + MASTER_KEY_ID_BYTES).toString('hex');
    const master = this.keyring.find(keyId);
    if (!master) {
      throw this.fail(`sealed under master key ${keyId}, which is not configured (configured: ${this.keyring.ids.join(', ')}); ` +
        'either the header was altered or the key that wrote this blob is missing');
    }
    const unwrap = createDecipheriv('aes-256-gcm', master.key, header.subarray(OFFSET_WRAP_NONCE, OFFSET_WRAPPED_KEY));
    unwrap.setAAD(header.subarray(0, OFFSET_WRAP_NONCE));
    unwrap.setAuthTag(header.subarray(OFFSET_WRAP_TAG, HEADER_BYTES));
    try {
      this.dataKey = Buffer.concat([unwrap.update(header.subarray(OFFSET_WRAPPED_KEY, OFFSET_WRAP_TAG)), unwrap.final()]);
    } catch (error) {
      throw this.fail(`the header or wrapped data key was altered, or master key ${keyId} is not the key that sealed it`, error);
    }
    this.noncePrefix = header.subarray(OFFSET_NONCE_PREFIX, OFFSET_NONCE_PREFIX + NONCE_PREFIX_BYTES);
    this.segmentSize = 2 ** log2;
    this.header = header;
  }

  private open(sealed: Buffer, final: boolean): Buffer {
    if (this.index >= MAX_SEGMENTS) throw this.fail('more segments than an envelope can hold');
    const key = this.dataKey as Buffer;
    const decipher = createDecipheriv('aes-256-gcm', key, segmentNonce(this.noncePrefix as Buffer, this.index, final));
    decipher.setAAD(this.header as Buffer);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch (error) {
      const where = final ? `final segment ${this.index}` : `segment ${this.index}`;
      throw this.fail(`${where} failed authentication (bytes altered, reordered, truncated or appended)`, error);
    }
    this.index++;
    return body;
  }
}

export function createSealStream(keyring: MasterKeyring, options?: SealOptions): SealStream {
  return new SealStream(keyring, options);
}

export function createOpenStream(keyring: MasterKeyring, options: OpenOptions): OpenStream {
  return new OpenStream(keyring, options);
}

/** Seals a whole buffer (small blobs, probes, tests); returns the envelope and the plaintext SHA-256. */
export async function sealBuffer(keyring: MasterKeyring, plaintext: Buffer, options?: SealOptions): Promise<{ envelope: Buffer; sha256: string }> {
  const sealed = sealBytes(keyring, plaintext, options);
  return { envelope: Buffer.concat(sealed.pieces, sealed.envelopeBytes), sha256: sealed.sha256 };
}

/** Opens a whole envelope held in memory; throws IntegrityError like the stream does. */
export async function openBuffer(keyring: MasterKeyring, envelope: Buffer, options: OpenOptions): Promise<Buffer> {
  return OpenStream.openBytes(keyring, envelope, options);
}
