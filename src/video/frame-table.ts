/**
 * Where each video frame hash in the PDQ index comes from: signal entry id -> (media item, timestamp in ms), as sorted
 * parallel typed arrays (12 bytes per frame, binary search; ids arrive mostly in increasing order, so adding is an
 * append). Adding an id already present changes nothing, so a build and a catch-up may overlap.
 */
export class FrameTable {
  private ids: Uint32Array;
  private media: Uint32Array;
  private ms: Uint32Array;
  private n = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.ids = new Uint32Array(c);
    this.media = new Uint32Array(c);
    this.ms = new Uint32Array(c);
  }

  get size(): number {
    return this.n;
  }

  memoryBytes(): number {
    return this.ids.byteLength + this.media.byteLength + this.ms.byteLength;
  }

  add(entryId: number, mediaId: number, timestampMs: number): void {
    const n = this.n;
    if (n === this.ids.length) this.grow(n * 2);
    const ms = Math.max(0, Math.min(0xffffffff, Math.round(timestampMs)));
    if (n === 0 || entryId > this.ids[n - 1]) {
      this.ids[n] = entryId;
      this.media[n] = mediaId;
      this.ms[n] = ms;
      this.n = n + 1;
      return;
    }
    const at = this.lowerBound(entryId);
    if (at < n && this.ids[at] === entryId) return;
    this.ids.copyWithin(at + 1, at, n);
    this.media.copyWithin(at + 1, at, n);
    this.ms.copyWithin(at + 1, at, n);
    this.ids[at] = entryId;
    this.media[at] = mediaId;
    this.ms[at] = ms;
    this.n = n + 1;
  }

  remove(entryId: number): boolean {
    const at = this.find(entryId);
    if (at < 0) return false;
    const n = this.n;
    this.ids.copyWithin(at, at + 1, n);
    this.media.copyWithin(at, at + 1, n);
    this.ms.copyWithin(at, at + 1, n);
    this.n = n - 1;
    return true;
  }

  /** The row of an entry id, or -1 when it is not a video frame. */
  find(entryId: number): number {
    const at = this.lowerBound(entryId);
    return at < this.n && this.ids[at] === entryId ? at : -1;
  }

  mediaAt(row: number): number {
    return this.media[row];
  }

  timestampAt(row: number): number {
    return this.ms[row];
  }

  private lowerBound(id: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(capacity: number): void {
    const ids = new Uint32Array(capacity);
    ids.set(this.ids);
    const media = new Uint32Array(capacity);
    media.set(this.media);
    const ms = new Uint32Array(capacity);
    ms.set(this.ms);
    this.ids = ids;
    this.media = media;
    this.ms = ms;
  }
}
