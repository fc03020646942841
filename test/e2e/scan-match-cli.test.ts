import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { spawnNode } from '../support/processes.js';

/** The operator's command line: import a PDQ list, match hashes, scan a folder without storing anything. */
describe('ariadne import pdq, match and scan', () => {
  let dir: string;
  let env: Record<string, string>;
  let listed: Buffer;
  let pdq: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-scan-'));
    env = { ARIADNE_DATA_DIR: join(dir, 'data'), ARIADNE_LOG_LEVEL: 'error' };
    listed = await syntheticJpeg(480, 360, 4242);
    writeFileSync(join(dir, 'listed.jpg'), listed);
    const hash = spawnNode('dist/src/cli/main.js', ['hash', '--json', join(dir, 'listed.jpg')], env);
    expect((await hash.exited).code).toBe(0);
    pdq = (JSON.parse(hash.output().trim().split('\n')[0]) as { pdq: string }).pdq;
    writeFileSync(join(dir, 'list.txt'), `# shared by a partner unit\n${pdq},series Kappa\nnot-a-hash\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a list, reporting the bad line and importing the rest', async () => {
    const run = spawnNode('dist/src/cli/main.js', ['import', 'pdq', join(dir, 'list.txt'), '--set', 'Partner list', '--source', 'unit X', '--json'], env);
    const exit = await run.exited;
    expect(exit.code).toBe(65);
    const report = JSON.parse(run.output().trim().split('\n')[0]) as { imported: number; problems: Array<{ line: number }> };
    expect(report.imported).toBe(1);
    expect(report.problems).toEqual([{ line: 3, message: expect.stringMatching(/not a PDQ hash/) }]);
  });

  it('matches a hash and a batch file, one JSON line per query', async () => {
    const near = Buffer.from(pdq, 'hex');
    near[0] ^= 0x0f;
    const one = spawnNode('dist/src/cli/main.js', ['match', '--pdq', near.toString('hex'), '--json'], env);
    expect((await one.exited).code).toBe(0);
    const line = JSON.parse(one.output().trim()) as { query: string; matches: Array<{ hash: string; distance: number; set: string; label: string }> };
    expect(line).toMatchObject({ query: near.toString('hex'), matches: [{ hash: pdq, distance: 4, set: 'Partner list', label: 'series Kappa' }] });
    writeFileSync(join(dir, 'queries.txt'), `${pdq}\n${'0'.repeat(64)}\n`);
    const batch = spawnNode('dist/src/cli/main.js', ['match', '--pdq-file', join(dir, 'queries.txt'), '--json', '--radius', '10'], env);
    expect((await batch.exited).code).toBe(0);
    const lines = batch.output().trim().split('\n').map((l) => JSON.parse(l) as { matches: unknown[] });
    expect(lines.map((l) => l.matches.length)).toEqual([1, 0]);
  });

  it('scans a folder: known, new and error per file, nothing stored', async () => {
    const folder = join(dir, 'seizure');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a-resized.jpg'), await sharp(listed).resize(240).jpeg({ quality: 70 }).toBuffer());
    writeFileSync(join(folder, 'b-other.jpg'), await syntheticJpeg(400, 300, 99));
    writeFileSync(join(folder, 'c-notes.txt'), 'text');
    symlinkSync('/etc/passwd', join(folder, 'd-link'));
    const run = spawnNode('dist/src/cli/main.js', ['scan', folder, '--csv', join(dir, 'scan.csv'), '--html', join(dir, 'scan.html')], env);
    const exit = await run.exited;
    expect(exit.code, run.output()).toBe(65);
    const csv = readFileSync(join(dir, 'scan.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('path,sha256,status,matches,best_distance,best_set,best_label,best_item_sha256,error');
    const status = Object.fromEntries(csv.slice(1).map((r) => [r.split(',')[0], r.split(',')[2]]));
    expect(status).toEqual({ 'seizure/a-resized.jpg': 'known', 'seizure/b-other.jpg': 'new', 'seizure/c-notes.txt': 'new', 'seizure/d-link': 'error' });
    expect(readFileSync(join(dir, 'scan.html'), 'utf8')).toContain('Nothing was stored');
    const json = spawnNode('dist/src/cli/main.js', ['scan', join(folder, 'a-resized.jpg')], env);
    expect((await json.exited).code).toBe(0);
    const result = JSON.parse(json.output().trim().split('\n')[0]) as { path: string; status: string; matches: Array<{ set: { name: string } }> };
    expect(result).toMatchObject({ path: 'a-resized.jpg', status: 'known', matches: [{ set: { name: 'Partner list' } }] });
  });
});
