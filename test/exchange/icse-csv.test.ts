import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../src/exchange/entry.js';
import { ICSE_HEADER, icseRow, readIcseCsv } from '../../src/exchange/icse-csv.js';
import { readLines } from '../../src/exchange/lines.js';
import { readPdqList } from '../../src/exchange/pdq-list.js';
import { digest } from './fixtures.js';

function stream(text: string, size = 5): Readable {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function read(text: string, size?: number): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of readIcseCsv(stream(text, size))) out.push(r);
  return out;
}

describe('ICSE semicolon exports', () => {
  it('finds columns by name in any order and case, with a BOM, CRLF, quotes and unknown columns', async () => {
    const text = `\ufeffBaseline;media type;Unknown;sha1;MD5;SERIES NAME;Tags\r\ntrue;Image;x;${digest('sha1', 'a').toUpperCase()};${digest('md5', 'a')};"Kappa; part ""2""";a,b\r\n`;
    const [r] = await read(text);
    expect(r).toMatchObject({ ok: true, line: 2, entry: { baseline: true, mediaType: 'Image', sha1: digest('sha1', 'a'), md5: digest('md5', 'a'), series: 'Kappa; part "2"', tags: ['a', 'b'] } });
  });

  it('writes rows that read back to the same entry', async () => {
    const [r] = await read(`MD5;Series name;Tags\n${digest('md5', 'b')};"odd; ""name""";x,y\n`);
    if (!r.ok) throw new Error('expected an entry');
    const [back] = await read(ICSE_HEADER + icseRow(r.entry));
    expect(back).toEqual({ ...r, line: 2 });
  });

  it('refuses a file without a header naming a hash column, before any record', async () => {
    await expect(read('a;b;c\n1;2;3\n')).rejects.toThrow(/not an ICSE hash export/);
    await expect(read('')).rejects.toThrow(/empty/);
    await expect(read(`${'x'.repeat(200_000)}\n`, 65536)).rejects.toThrow(/not an ICSE hash export/);
  });

  it('reports an enormous line without holding it and reads on', async () => {
    const huge = 'A'.repeat(5 << 20);
    const records = await read(`MD5\n${huge}\n${digest('md5', 'c')}\n${huge}`, 65536);
    expect(records.map((r) => (r.ok ? r.entry.md5 : r.problem))).toEqual([{ line: 2, message: 'line longer than 65536 characters' }, digest('md5', 'c'), { line: 4, message: 'line longer than 65536 characters' }]);
  });
});

describe('line splitting', () => {
  it('numbers lines across chunk boundaries and bounds their length', async () => {
    const lines: unknown[] = [];
    for await (const l of readLines(stream('\ufeffab\r\n\ncdef\nxyz0123456789\nlast', 3), 5)) lines.push(l.tooLong ? `${l.line}:long` : `${l.line}:${l.text}`);
    expect(lines).toEqual(['1:ab', '2:', '3:cdef', '4:long', '5:last']);
  });

  it('bounds PDQ list lines too', async () => {
    const out: string[] = [];
    for await (const r of readPdqList(stream(`${'f'.repeat(100_000)}\n${digest('sha256', 'x')}\n`, 4096))) out.push(r.ok ? 'ok' : r.problem.message);
    expect(out).toEqual(['line longer than 4096 characters', 'ok']);
  });
});
