import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatHash256 } from '../../src/core/hash256.js';
import { readPdqList, type PdqListRecord } from '../../src/exchange/pdq-list.js';

const A = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
const B = 'F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B23';

async function all(text: string): Promise<PdqListRecord[]> {
  const out: PdqListRecord[] = [];
  for await (const r of readPdqList(Readable.from([Buffer.from(text)]))) out.push(r);
  return out;
}

describe('PDQ lists', () => {
  it('reads plain lines with optional labels, comments, blanks, a BOM and CRLF', async () => {
    const records = await all(`\ufeff# list\r\n${A}\r\n\r\n${B},series 7, part 2\r\n`);
    expect(records).toHaveLength(2);
    const [a, b] = records.map((r) => (r.ok ? r.entry : null));
    expect(a).toMatchObject({ line: 2, label: null, quality: null });
    expect(formatHash256(a!.hash)).toBe(A);
    expect(b).toMatchObject({ line: 4, label: 'series 7, part 2' });
    expect(formatHash256(b!.hash)).toBe(B.toLowerCase());
  });

  it('reads CSV with hash,quality,label and quoted labels', async () => {
    const records = await all(`hash,quality,label\n${A},87,"a ""quoted"", label"\n${B},,\n`);
    expect(records.map((r) => (r.ok ? [r.entry.quality, r.entry.label] : r.problem.message))).toEqual([
      [87, 'a "quoted", label'],
      [null, null],
    ]);
  });

  it('reports malformed lines with their numbers and reads the rest', async () => {
    const records = await all(`${A}\nnot-a-hash\n${A.slice(0, 63)}\n${B}\n`);
    expect(records.map((r) => (r.ok ? r.entry.line : `${r.problem.line}: ${r.problem.message}`))).toEqual([
      1,
      '2: not a PDQ hash (64 hex digits): "not-a-hash"',
      expect.stringMatching(/^3: not a PDQ hash/),
      4,
    ]);
  });

  it('rejects CSV quality outside 0-100 and an unknown header', async () => {
    expect((await all(`hash,quality,label\n${A},101,x\n`))[0]).toMatchObject({ ok: false, problem: { line: 2 } });
    expect((await all(`hash,score\n${A}\n`))[0]).toMatchObject({ ok: false, problem: { line: 1, message: expect.stringMatching(/unsupported header/) } });
  });
});
