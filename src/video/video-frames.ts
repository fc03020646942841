/**
 * A video's frame hashes as parallel typed arrays (the "bag of frames" vPDQ compares): frame i has the PDQ hash at
 * `hashes[32 i .. 32 i + 32)`, its quality and its timestamp in milliseconds. Grows by doubling; no object per frame.
 */
export class VideoFrames {
  count = 0;
  hashes: Uint8Array;
  qualities: Uint8Array;
  timestampsMs: Float64Array;
  /** Decoded frame number of each hashed frame (0-based; equals the index in every-frame mode). */
  frameNumbers: Uint32Array;

  constructor(capacity = 64) {
    const c = Math.max(1, Math.ceil(capacity));
    this.hashes = new Uint8Array(c * 32);
    this.qualities = new Uint8Array(c);
    this.timestampsMs = new Float64Array(c);
    this.frameNumbers = new Uint32Array(c);
  }

  push(hash: Uint8Array, quality: number, timestampMs: number, frameNumber: number): void {
    const i = this.count;
    if (i === this.qualities.length) this.grow(i * 2);
    this.hashes.set(hash.subarray(0, 32), i * 32);
    this.qualities[i] = quality;
    this.timestampsMs[i] = timestampMs;
    this.frameNumbers[i] = frameNumber;
    this.count = i + 1;
  }

  hash(i: number): Uint8Array {
    return this.hashes.subarray(i * 32, i * 32 + 32);
  }

  private grow(capacity: number): void {
    const hashes = new Uint8Array(capacity * 32);
    hashes.set(this.hashes);
    const qualities = new Uint8Array(capacity);
    qualities.set(this.qualities);
    const timestamps = new Float64Array(capacity);
    timestamps.set(this.timestampsMs);
    const numbers = new Uint32Array(capacity);
    numbers.set(this.frameNumbers);
    this.hashes = hashes;
    this.qualities = qualities;
    this.timestampsMs = timestamps;
    this.frameNumbers = numbers;
  }
}
