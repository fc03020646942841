import type { ExchangeEntry } from '../exchange/entry.js';
import { ENTRY_COLUMNS, entryValues } from './hash-set-items.js';
import { asBuffer } from '../core/bytes.js';

/**
 * A batch of exchange entries packed into bytes, so the thread that parses a file can hand a batch to the thread that
 * writes it by transferring two buffers instead of cloning every value. Each entry is its key followed by its
 * ENTRY_COLUMNS values; a value is a tag byte (0 null, 1 text, 2 whole number), then for text a uint32 byte length
 * and its UTF-8 bytes, for a number an int32. `offsets` gives where each entry starts, in key order (ties in file
 * order), which is the order the set's unique (set_id, item_key) index wants them in.
 */
export interface PackedEntries {
  readonly bytes: Uint8Array;
  /** Byte offset of each entry, sorted by the entries' keys. */
  readonly offsets: Uint32Array;
}

/** Values an entry unpacks to: its key, then its ENTRY_COLUMNS values. */
export const PACKED_VALUES = 1 + ENTRY_COLUMNS.length;

const NULL = 0;
const TEXT = 1;
const INT = 2;
const INITIAL_BYTES = 1 << 20;

/** Packs entries one at a time; `finish` hands the batch over (its buffer is transferable) and starts a new one. */
export class PackedEntriesWriter {
  private buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  private length = 0;
  private keys: string[] = [];
  private starts: number[] = [];
  private readonly values = new Array<unknown>(ENTRY_COLUMNS.length);

  get count(): number {
    return this.keys.length;
  }

  /** Adds an entry; one that cannot be packed is refused whole (nothing of it is kept). */
  add(key: string, entry: ExchangeEntry): void {
    const start = this.length;
    entryValues(this.values, 0, entry);
    try {
      this.text(key);
      for (const v of this.values) {
        if (v === null) this.byte(NULL);
        else if (typeof v === 'string') this.text(v);
        else if (typeof v === 'number' && Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) {
          this.room(5);
          this.buf[this.length] = INT;
          this.buf.writeInt32LE(v, this.length + 1);
          this.length += 5;
        } else throw new Error(`cannot pack ${typeof v} ${String(v)} in a hash-set entry`);
      }
    } catch (error) {
      this.length = start;
      throw error;
    }
    this.keys.push(key);
    this.starts.push(start);
  }

  /** The batch so far, in key order; the writer starts empty again (with a fresh buffer: this one is handed over). */
  finish(): PackedEntries {
    const n = this.keys.length;
    const keys = this.keys;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    const offsets = new Uint32Array(n);
    for (let i = 0; i < n; i++) offsets[i] = this.starts[order[i]];
    const bytes = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.length);
    this.buf = Buffer.allocUnsafeSlow(Math.max(INITIAL_BYTES, this.buf.length));
    this.length = 0;
    this.keys = [];
    this.starts = [];
    return { bytes, offsets };
  }

  private text(v: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(5 + v.length * 3);
    this.buf[this.length] = TEXT;
    const written = this.buf.write(v, this.length + 5, 'utf8');
    this.buf.writeUInt32LE(written, this.length + 1);
    this.length += 5 + written;
  }

  private byte(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/** Reads a packed batch back, entry by entry in key order. */
export class PackedEntriesReader {
  private readonly buf: Buffer;

  constructor(private readonly batch: PackedEntries) {
    this.buf = asBuffer(batch.bytes);
  }

  get count(): number {
    return this.batch.offsets.length;
  }

  /** Writes the i-th entry (key order): its key, then its ENTRY_COLUMNS values, into `out` from `at`; returns the next index. */
  read(i: number, out: unknown[], at: number): number {
    const buf = this.buf;
    let p = this.batch.offsets[i];
    let o = at;
    for (let k = 0; k < PACKED_VALUES; k++) {
      const tag = buf[p];
      if (tag === NULL) {
        out[o++] = null;
        p += 1;
      } else if (tag === TEXT) {
        const length = buf.readUInt32LE(p + 1);
        out[o++] = buf.toString('utf8', p + 5, p + 5 + length);
        p += 5 + length;
      } else if (tag === INT) {
        out[o++] = buf.readInt32LE(p + 1);
        p += 5;
      } else throw new Error(`corrupt packed hash-set entry (tag ${tag} at byte ${p})`);
    }
    return o;
  }
}
