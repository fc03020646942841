import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/core/errors.js';
import { emptyEntry, type ExchangeEntry, type ExchangeRecord } from '../../src/exchange/entry.js';
import { checkRecords, readRecords } from '../../src/exchange/formats.js';
import { vicsMediaJson } from '../../src/exchange/vics-write.js';
import { readVics, type VicsEvent, type VicsHeader } from '../../src/exchange/vics.js';
import { digest, mediaRecord, vicsDocument } from './fixtures.js';

/** Feeds text in small chunks so every token boundary lands inside a chunk somewhere. */
function chunked(text: string, size = 7): Readable {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function read(text: string | Readable, size?: number): Promise<{ header: VicsHeader | null; records: ExchangeRecord[] }> {
  let header: VicsHeader | null = null;
  const records: ExchangeRecord[] = [];
  const events: AsyncIterable<VicsEvent> = readVics(typeof text === 'string' ? chunked(text, size) : text);
  for await (const e of events) {
    if (e.type === 'header') header = e.header;
    else if (e.type === 'record') records.push(e);
  }
  return { header, records };
}

function entries(records: ExchangeRecord[]) {
  return records.map((r) => (r.ok ? r.entry : null));
}

describe('VICS JSON reader', () => {
  it('reads a 2.0 #Media set across chunk boundaries, with its flags, series, tags and hashes', async () => {
    const pdq = digest('sha256', 'pdq');
    const photo = Buffer.alloc(144, 7);
    const doc = vicsDocument('Media', [
      mediaRecord(1, { Series: 'Series A', Tags: ['beach', 'indoor'], PhotoDNA: photo.toString('base64'), AlternativeHashes: [{ HashName: 'PDQ', HashValue: pdq.toUpperCase() }, { HashName: 'aHash', HashValue: '00ff' }], MediaFiles: [{ FileName: 'a.jpg', FilePath: 'c:/x' }], Exifs: [{ Property: 'Make', Value: 'X' }] }),
      mediaRecord(2, { Series: { Name: 'Series B', ID: 4 }, PhotoDNA: photo.toString('hex').toUpperCase(), VictimIdentified: 'true', IsDistributed: 'False' }),
    ]);
    for (const size of [1, 5, 64, 1 << 16]) {
      const { header, records } = await read(doc, size);
      expect(header).toEqual({ kind: 'Media', version: '2.0' });
      const [a, b] = entries(records);
      expect(a).toMatchObject({ mediaRef: '1', category: 1, md5: digest('md5', 'm1'), sha1: digest('sha1', 'm1'), victimIdentified: false, offenderIdentified: false, distributed: true, series: 'Series A', tags: ['beach', 'indoor'], pdq, fileName: 'a.jpg', altHashes: [{ name: 'aHash', value: '00ff' }] });
      expect(a?.photoDna).toBe(photo.toString('base64'));
      expect(b).toMatchObject({ series: 'Series B', victimIdentified: true, distributed: false, photoDna: photo.toString('base64') });
    }
  });

  it('accepts a byte order mark, 1.3 metadata, @odata.context and missing optional fields', async () => {
    const doc = `\ufeff${vicsDocument('Media', [{ MD5: digest('md5', 'x') }, { sha1: digest('sha1', 'y').toUpperCase(), category: '3' }], '1.3')}`;
    const { header, records } = await read(doc);
    expect(header).toEqual({ kind: 'Media', version: '1.3' });
    expect(entries(records)).toMatchObject([{ md5: digest('md5', 'x'), sha1: null, category: null, series: null, tags: [] }, { sha1: digest('sha1', 'y'), category: 3 }]);
    const ctx = await read(vicsDocument('Media', [{ MD5: digest('md5', 'x') }], '2.0', '@odata.context'));
    expect(ctx.header?.kind).toBe('Media');
  });

  it('reads #Cases exports: the media of every case', async () => {
    const doc = vicsDocument('Cases', [
      { CaseID: 'c1', CaseNumber: 'A-1', Media: [mediaRecord(1), mediaRecord(2)], ContactOrganization: { Name: 'unit' } },
      { Media: [mediaRecord(3)], CaseID: 'c2' },
    ]);
    const { header, records } = await read(doc);
    expect(header).toEqual({ kind: 'Cases', version: '2.0' });
    expect(entries(records).map((e) => e?.mediaRef)).toEqual(['1', '2', '3']);
  });

  it('reports records with wrong types or bad hashes and reads the rest', async () => {
    const doc = vicsDocument('Media', [
      mediaRecord(1, { MD5: 12345 }),
      mediaRecord(2, { SHA1: 'zz' }),
      mediaRecord(3, { Category: 9 }),
      mediaRecord(4, { VictimIdentified: 'perhaps' }),
      { MediaID: 5 },
      'not a record',
      mediaRecord(7, { AlternativeHashes: 'nope' }),
      mediaRecord(8),
    ]);
    const { records } = await read(doc);
    expect(records.map((r) => (r.ok ? 'ok' : r.problem.message))).toEqual([
      'media record 1: MD5 must be a string of 32 hex digits',
      expect.stringMatching(/^media record 2: SHA1 must be 40 hex digits/),
      'media record 3: Category must be a VICS category 0-5',
      'media record 4: VictimIdentified must be true or false',
      'media record 5: no MD5, SHA1, SHA256 or PDQ hash',
      'media record 6 is not an object',
      'media record 7: AlternativeHashes must be an array',
      'ok',
    ]);
  });

  it('refuses files that are not VICS before yielding any record', async () => {
    const cases: Array<[string, RegExp]> = [
      ['MD5;SHA1\nabc;def\n', /not a VICS JSON file/],
      ['[1,2,3]', /not a VICS JSON file|JSON array/],
      [JSON.stringify({ value: [mediaRecord(1)] }), /no "odata.metadata"/],
      [JSON.stringify({ 'odata.metadata': 'http://example.org/$metadata#Users', value: [] }), /neither #Media nor #Cases/],
      [JSON.stringify({ 'odata.metadata': 'http://x/DataModels/3.1.xml#Media', value: [] }), /3\.1 is not supported/],
      [JSON.stringify({ 'odata.metadata': 'http://x/DataModels/2.0.xml#Media', value: {} }), /"value" must be an array/],
      ['', /empty/],
    ];
    for (const [text, message] of cases) {
      let yielded = 0;
      const run = async () => {
        for await (const e of readVics(chunked(text))) if (e.type === 'record') yielded++;
      };
      await expect(run(), text.slice(0, 40)).rejects.toThrow(message);
      expect(yielded).toBe(0);
    }
  });

  it('refuses truncated JSON, with its line', async () => {
    const doc = vicsDocument('Media', [mediaRecord(1), mediaRecord(2)]).replace(/,"value"/, ',\n"value"');
    for (const cut of [doc.length - 1, doc.length - 30, Math.floor(doc.length / 2)]) {
      await expect(read(doc.slice(0, cut))).rejects.toThrow(/line 2: (ends before the JSON document is complete|ends inside a (string|value))/);
    }
    await expect(read(`${doc.slice(0, -2)},]}`)).rejects.toThrow(/expected a value/);
    await expect(read(`${doc}{}`)).rejects.toThrow(/after the end of the JSON document/);
    await expect(read(doc.replace('"MediaID":1', '"MediaID":1 "x":2'))).rejects.toThrow(/expected ',' or '}'/);
  });

  it('bounds nesting depth: 10,000 levels fail fast with a clear error', async () => {
    const deep = `{"odata.metadata":"http://x/DataModels/2.0.xml#Media","value":[{"MD5":"${digest('md5', 'a')}","Exifs":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`;
    const err = await read(deep, 4096).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toMatch(/nesting deeper than 64 levels/);
    const deepSkipped = `{"odata.metadata":"http://x/DataModels/2.0.xml#Media","other":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"value":[]}`;
    await expect(read(deepSkipped, 4096)).rejects.toThrow(/nesting deeper than 64 levels/);
  });

  it('bounds string length: an enormous string is refused without being held', async () => {
    const huge = 'A'.repeat(3 << 20);
    const doc = vicsDocument('Media', [mediaRecord(1, { Series: huge })]);
    await expect(read(doc, 65536)).rejects.toThrow(/a string longer than 1048576 characters/);
    // A long string in a record field the reader would keep is reported as a problem when within the bound.
    const { records } = await read(vicsDocument('Media', [mediaRecord(1, { Series: 'S'.repeat(5000) }), mediaRecord(2)]), 65536);
    expect(records.map((r) => r.ok)).toEqual([false, true]);
  });

  it('bounds the values of one record', async () => {
    const doc = vicsDocument('Media', [mediaRecord(1, { Tags: Array.from({ length: 30_000 }, (_, i) => i) })]);
    await expect(read(doc, 65536)).rejects.toThrow(/more than 20000 values/);
  });

  it('reads records for structure only when told, counting them, and still refuses broken structure', async () => {
    const doc = vicsDocument('Media', [mediaRecord(1), { MD5: 'zz' }, mediaRecord(3, { MediaFiles: [{ FileName: 'a' }] }), mediaRecord(4)]);
    const events: VicsEvent[] = [];
    const asked: number[] = [];
    for await (const e of readVics(chunked(doc), undefined, { materialise: (i) => (asked.push(i), i % 2 === 1) })) events.push(e);
    expect(asked).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => (e.type === 'record' ? (e.ok ? `ok ${e.entry.mediaRef}` : 'bad') : e.type))).toEqual(['header', 'unread', 'bad', 'unread', 'ok 4']);
    const deep = vicsDocument('Media', [mediaRecord(1), mediaRecord(2, { Tags: Array.from({ length: 30_000 }, (_, i) => i) })]);
    await expect(checkRecords('vics', chunked(deep, 65536), () => undefined)).rejects.toThrow(/more than 20000 values/);
    await expect(checkRecords('vics', chunked(doc.slice(0, -10)), () => undefined)).rejects.toThrow(/truncated/);
  });

  it('checks a file as the first pass of an import does, and skips the records a resumed import has committed', async () => {
    const records = [{ MD5: 'zz' }, mediaRecord(1), { SHA1: 12 }, mediaRecord(2), mediaRecord(3)];
    const doc = vicsDocument('Media', records);
    let header: VicsHeader | null = null;
    expect(await checkRecords('vics', chunked(doc), (h) => (header = h))).toEqual({ records: 5, anyGood: true, firstProblem: null });
    expect(header).toEqual({ kind: 'Media', version: '2.0' });
    const bad = await checkRecords('vics', chunked(vicsDocument('Media', [{ MD5: 'zz' }, { SHA1: 12 }])), () => undefined);
    expect(bad).toMatchObject({ records: 2, anyGood: false, firstProblem: { message: expect.stringMatching(/media record 1: MD5/) } });
    const after = async (skip: number) => {
      const out: Array<string | null> = [];
      for await (const r of readRecords('vics', chunked(doc), () => undefined, skip)) out.push(r.ok ? r.entry.mediaRef : 'bad');
      return out;
    };
    expect(await after(0)).toEqual(['bad', '1', 'bad', '2', '3']);
    expect(await after(3)).toEqual(['2', '3']);
    expect(await after(5)).toEqual([]);
    const csv = 'MD5;SHA1\n' + ['a', 'b', 'c'].map((s) => `${digest('md5', s)};${digest('sha1', s)}`).join('\n') + '\n';
    const icse: string[] = [];
    for await (const r of readRecords('icse', chunked(csv), () => undefined, 1)) icse.push(r.ok ? String(r.entry.md5) : 'bad');
    expect(icse).toEqual([digest('md5', 'b'), digest('md5', 'c')]);
  });

  it('writes each record as the JSON of its fields, escaped, in VICS 2.0 order', () => {
    /** The record as an object, as the writer once built it; its JSON is what the text writer must produce. */
    const reference = (e: ExchangeEntry, fallbackId: number): string => {
      const o: Record<string, unknown> = { MediaID: e.mediaRef !== null && /^\d{1,15}$/.test(e.mediaRef) ? Number(e.mediaRef) : e.mediaRef ?? fallbackId };
      if (e.md5 !== null) o.MD5 = e.md5.toUpperCase();
      if (e.sha1 !== null) o.SHA1 = e.sha1.toUpperCase();
      if (e.sha256 !== null) o.SHA256 = e.sha256.toUpperCase();
      if (e.photoDna !== null) o.PhotoDNA = e.photoDna;
      if (e.category !== null) o.Category = e.category;
      if (e.victimIdentified !== null) o.VictimIdentified = e.victimIdentified;
      if (e.offenderIdentified !== null) o.OffenderIdentified = e.offenderIdentified;
      if (e.distributed !== null) o.IsDistributed = e.distributed;
      if (e.baseline !== null) o.Baseline = e.baseline;
      if (e.series !== null) o.Series = e.series;
      if (e.tags.length > 0) o.Tags = e.tags;
      if (e.mediaType !== null) o.MediaType = e.mediaType;
      if (e.fileName !== null) o.MediaFiles = [{ FileName: e.fileName }];
      const alt = [...(e.pdq !== null ? [{ HashName: 'PDQ', HashValue: e.pdq }] : []), ...e.altHashes.map((h) => ({ HashName: h.name, HashValue: h.value }))];
      if (alt.length > 0) o.AlternativeHashes = alt;
      return JSON.stringify(o);
    };
    const full: ExchangeEntry = {
      ...emptyEntry(),
      mediaRef: '0042',
      md5: digest('md5', 'x'),
      sha1: digest('sha1', 'x'),
      sha256: digest('sha256', 'x'),
      pdq: 'f'.repeat(64),
      photoDna: 'AAAA',
      altHashes: [{ name: 'Other "one"', value: 'v\\1' }],
      category: 0,
      baseline: false,
      series: 'Blue "room"\n\u2028\u0001é',
      victimIdentified: true,
      offenderIdentified: false,
      distributed: true,
      tags: ['a', 'b"c'],
      mediaType: 'image',
      fileName: 'C:\\seized\\x.jpg',
    };
    const cases: ExchangeEntry[] = [
      full,
      { ...emptyEntry(), md5: digest('md5', 'y') },
      { ...full, mediaRef: 'IMG-7', pdq: null },
      { ...full, mediaRef: '1234567890123456', altHashes: [] },
      { ...emptyEntry(), mediaRef: '', pdq: '0'.repeat(64), tags: ['\ud800'] },
    ];
    for (const [i, e] of cases.entries()) {
      const text = vicsMediaJson(e, i + 1);
      expect(text).toBe(reference(e, i + 1));
      expect(() => JSON.parse(text) as unknown).not.toThrow();
    }
  });
});
