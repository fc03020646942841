import { MASTER_KEY_ID_BYTES } from './master-key.js';

/**
 * The blob envelope: how every adapter stores a blob at rest.
 *
 * A fresh random 256-bit data key per object encrypts the plaintext with AES-256-GCM; the data key is wrapped with
 * AES-256-GCM under the keyring's current master key. Because GCM authenticates only at the end of a message, the
 * plaintext is cut into segments (64 KiB by default) and each is sealed on its own, following the STREAM
 * construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015, as in Tink's streaming AEAD): the nonce of segment i is
 * prefix(7 random bytes) || i (uint32 big-endian) || final flag (1 byte, 1 only on the last segment). So a reader
 * releases each segment only after its tag verified, and detects bit flips (tag), reordering (counter in the nonce),
 * truncation at a segment boundary (the new last segment was not sealed as final) and appended bytes (the old last
 * segment was sealed as final). Every segment also authenticates the whole header as associated data.
 *
 * Layout, version 1 (all integers big-endian):
 *
 *   offset  size  field
 *        0     4  magic "ARDB"
 *        4     1  version = 1
 *        5     1  log2 of the plaintext segment size (12..24; 16 = 64 KiB)
 *        6     8  master key id (see master-key.ts)
 *       14     7  segment nonce prefix (random)
 *       21    12  wrap nonce (random)
 *       33    32  wrapped data key (AES-256-GCM under the master key, associated data = bytes 0..21)
 *       65    16  wrap tag
 *       81        segments: ciphertext (segment size bytes, the last one 0..segment size) followed by its 16-byte tag
 *
 * Wrapping uses random 96-bit nonces under one master key; NIST SP 800-38D bounds that at 2^32 wraps per key, far
 * above the object counts Ariadne is built for (rotate the master key long before).
 *
 * The reader also hashes the plaintext and compares it with the blob's address (its SHA-256) before it releases the
 * last segment and ends the stream: a consumer that sees the stream end without error holds exactly the stored bytes.
 */

export const ENVELOPE_MAGIC = Buffer.from('ARDB', 'latin1');
export const ENVELOPE_VERSION = 1;
export const DEFAULT_SEGMENT_SIZE_LOG2 = 16;
export const MIN_SEGMENT_SIZE_LOG2 = 12;
export const MAX_SEGMENT_SIZE_LOG2 = 24;
export const TAG_BYTES = 16;
export const NONCE_PREFIX_BYTES = 7;
export const WRAP_NONCE_BYTES = 12;
export const DATA_KEY_BYTES = 32;
export const HEADER_BYTES = 4 + 1 + 1 + MASTER_KEY_ID_BYTES + NONCE_PREFIX_BYTES + WRAP_NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES;

export const OFFSET_VERSION = 4;
export const OFFSET_SEGMENT_LOG2 = 5;
export const OFFSET_KEY_ID = 6;
export const OFFSET_NONCE_PREFIX = OFFSET_KEY_ID + MASTER_KEY_ID_BYTES;
export const OFFSET_WRAP_NONCE = OFFSET_NONCE_PREFIX + NONCE_PREFIX_BYTES;
export const OFFSET_WRAPPED_KEY = OFFSET_WRAP_NONCE + WRAP_NONCE_BYTES;
export const OFFSET_WRAP_TAG = OFFSET_WRAPPED_KEY + DATA_KEY_BYTES;
export const MAX_SEGMENTS = 2 ** 32;

/** Ciphertext size of a blob of `plaintextSize` bytes (header, every segment, every tag). */
export function envelopeSize(plaintextSize: number, segmentSizeLog2 = DEFAULT_SEGMENT_SIZE_LOG2): number {
  const segmentSize = 2 ** segmentSizeLog2;
  const segments = Math.max(1, Math.ceil(plaintextSize / segmentSize));
  return HEADER_BYTES + plaintextSize + segments * TAG_BYTES;
}

/** The nonce of segment `index`: prefix || index (uint32 big-endian) || final flag. */
export function segmentNonce(prefix: Buffer, index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce[11] = final ? 1 : 0;
  return nonce;
}
