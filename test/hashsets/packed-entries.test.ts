import { describe, expect, it } from 'vitest';
import { emptyEntry, type ExchangeEntry } from '../../src/exchange/entry.js';
import { ENTRY_COLUMNS, entryValues, fromItemRow, type ItemFields } from '../../src/hashsets/hash-set-items.js';
import { PACKED_VALUES, PackedEntriesReader, PackedEntriesWriter } from '../../src/hashsets/packed-entries.js';

const BLANK: ExchangeEntry = emptyEntry();

function unpack(reader: PackedEntriesReader, i: number): { key: unknown; entry: ExchangeEntry } {
  const values = new Array<unknown>(PACKED_VALUES);
  expect(reader.read(i, values, 0)).toBe(PACKED_VALUES);
  const row = Object.fromEntries(ENTRY_COLUMNS.map((c, k) => [c, values[k + 1]])) as unknown as ItemFields;
  return { key: values[0], entry: fromItemRow(row) };
}

describe('packed hash-set entries', () => {
  it('round-trips every field (text in any script, numbers, flags, lists, nulls) and orders entries by key', () => {
    const full: ExchangeEntry = {
      mediaRef: '42',
      md5: 'a'.repeat(32),
      sha1: 'b'.repeat(40),
      sha256: 'c'.repeat(64),
      pdq: 'd'.repeat(64),
      pdqQuality: 100,
      photoDna: 'AAAA',
      altHashes: [{ name: 'ed2k', value: 'ff' }],
      category: 5,
      baseline: true,
      series: 'Série «Ω» 名前 🙂',
      victimIdentified: false,
      offenderIdentified: true,
      distributed: false,
      tags: ['x', 'ÿ'],
      mediaType: 'image',
      fileName: 'f\u0000.jpg',
      label: 'l'.repeat(5000),
    };
    const writer = new PackedEntriesWriter();
    writer.add('m', full);
    writer.add('b', BLANK);
    writer.add('m', { ...BLANK, label: 'second m' });
    writer.add('a', { ...BLANK, category: 0 });
    expect(writer.count).toBe(4);
    const packed = writer.finish();
    expect(writer.count).toBe(0);
    const reader = new PackedEntriesReader(packed);
    expect(reader.count).toBe(4);
    const got = [0, 1, 2, 3].map((i) => unpack(reader, i));
    // Key order, ties in the order added.
    expect(got.map((g) => g.key)).toEqual(['a', 'b', 'm', 'm']);
    expect(got[0].entry).toEqual({ ...BLANK, category: 0 });
    expect(got[1].entry).toEqual(BLANK);
    expect(got[2].entry).toEqual(full);
    expect(got[3].entry.label).toBe('second m');
  });

  it('grows past its first buffer, starts afresh after finishing, and refuses what it cannot pack', () => {
    const writer = new PackedEntriesWriter();
    const big = 'z'.repeat(100_000);
    for (let i = 0; i < 40; i++) writer.add(String(i).padStart(3, '0'), { ...BLANK, series: big, category: i % 6 });
    const reader = new PackedEntriesReader(writer.finish());
    expect(reader.count).toBe(40);
    expect(unpack(reader, 39)).toMatchObject({ key: '039', entry: { series: big, category: 3 } });
    writer.add('x', BLANK);
    expect(new PackedEntriesReader(writer.finish()).count).toBe(1);
    expect(() => writer.add('y', { ...BLANK, pdqQuality: 1.5 })).toThrow(/cannot pack/);
    writer.add('w', { ...BLANK, label: 'kept' });
    const after = new PackedEntriesReader(writer.finish());
    expect(after.count).toBe(1);
    expect(unpack(after, 0)).toMatchObject({ key: 'w', entry: { label: 'kept' } });
    const values: unknown[] = [];
    expect(entryValues(values, 0, BLANK)).toBe(ENTRY_COLUMNS.length);
  });

  it('says so when the bytes are not a packed batch', () => {
    const reader = new PackedEntriesReader({ bytes: new Uint8Array([9, 0, 0]), offsets: new Uint32Array([0]) });
    expect(() => reader.read(0, [], 0)).toThrow(/corrupt packed hash-set entry/);
  });
});
