/** FIFO of byte chunks that hands out exact-length slices, copying only when a slice spans chunks. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Buffer {
    if (n > this.length) throw new RangeError(`take(${n}) from ${this.length} queued bytes`);
    this.length -= n;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[this.head];
    if (first.length >= n) {
      if (first.length === n) {
        this.head++;
        this.compact();
        return first;
      }
      this.chunks[this.head] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head];
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.head++;
      else this.chunks[this.head] = chunk.subarray(used);
    }
    this.compact();
    return out;
  }

  private compact(): void {
    if (this.head > 64 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
