import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../../src/archives/entry-names.js';

/**
 * A small ZIP writer for tests: correct local headers, central directory and CRCs, with every field open to
 * tampering (flags, attributes, declared sizes, raw name bytes) so the reader can be fed hostile archives.
 */
export interface ZipSpec {
  readonly name: string | Buffer;
  readonly data?: Buffer;
  /** 0 stored, 8 deflated (default 8). */
  readonly method?: number;
  /** General-purpose flags; bit 11 (UTF-8) is added for string names with non-ASCII characters unless utf8Flag is false. */
  readonly flags?: number;
  readonly utf8Flag?: boolean;
  /** Unix mode (e.g. 0o120777 for a symlink): written with versionMadeBy Unix. */
  readonly unixMode?: number;
  /** Override the declared uncompressed size (a lying header). */
  readonly declaredSize?: number;
  /** Override the stored CRC. */
  readonly crc?: number;
  readonly extra?: Buffer;
  /** Point this entry's central record at another entry's local header (overlapping entries). */
  readonly sameDataAs?: number;
}

const DOS_TIME = (12 << 11) | (34 << 5) | (56 >> 1);
const DOS_DATE = ((2020 - 1980) << 9) | (5 << 5) | 6;

export function buildZip(specs: readonly ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  const compressedSizes: number[] = [];
  let offset = 0;
  specs.forEach((spec, index) => {
    const name = typeof spec.name === 'string' ? Buffer.from(spec.name, 'utf8') : spec.name;
    const data = spec.data ?? Buffer.alloc(0);
    const method = spec.method ?? 8;
    const packed = method === 8 ? deflateRawSync(data) : data;
    const nonAscii = typeof spec.name === 'string' && [...spec.name].some((c) => c.charCodeAt(0) > 0x7f);
    const flags = (spec.flags ?? 0) | (nonAscii && spec.utf8Flag !== false ? 0x800 : 0);
    const crc = spec.crc ?? crc32(data);
    const size = spec.declaredSize ?? data.length;
    const extra = spec.extra ?? Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localOffset = spec.sameDataAs !== undefined ? offsets[spec.sameDataAs] : offset;
    const compressedSize = spec.sameDataAs !== undefined ? compressedSizes[spec.sameDataAs] : packed.length;
    offsets.push(localOffset);
    compressedSizes.push(compressedSize);
    if (spec.sameDataAs === undefined) {
      locals.push(local, name, extra, packed);
      offset += local.length + name.length + extra.length + packed.length;
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(spec.unixMode !== undefined ? (3 << 8) | 20 : 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(spec.unixMode !== undefined ? (spec.unixMode << 16) >>> 0 : 0, 38);
    central.writeUInt32LE(localOffset, 42);
    centrals.push(central, name, extra);
    void index;
  });
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(specs.length, 8);
  end.writeUInt16LE(specs.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
