import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../support/processes.js';
import { mediaRecord, vicsDocument } from './fixtures.js';

/** `ariadne import vics|icse|pdq` and `ariadne export vics|icse|pdq` against the built CLI (npm run build). */
describe('ariadne import / export of hash sets', () => {
  let dir: string;
  let env: Record<string, string>;
  const cli = async (...args: string[]) => {
    const run = spawnNode('dist/src/cli/main.js', args, env);
    const exit = await run.exited;
    return { code: exit.code, output: run.output() };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-exchange-cli-'));
    env = { ARIADNE_DATA_DIR: join(dir, 'data'), ARIADNE_LOG_LEVEL: 'error' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports VICS, reports the bad record, exports ICSE and VICS that re-import to the same content', async () => {
    const records = [...Array.from({ length: 20 }, (_, i) => mediaRecord(i, { Series: 'Kappa' })), mediaRecord(99, { MD5: 'xyz' })];
    writeFileSync(join(dir, 'set.json'), vicsDocument('Media', records));
    const imported = await cli('import', 'vics', join(dir, 'set.json'), '--set', 'VIC export', '--source', 'unit X', '--json');
    expect(imported.code, imported.output).toBe(65);
    const report = JSON.parse(imported.output.trim().split('\n')[0]) as { imported: number; problems: Array<{ message: string }>; set: { source: string } };
    expect(report).toMatchObject({ imported: 20, set: { source: 'unit X' }, problems: [{ message: expect.stringMatching(/media record 21: MD5 must be 32 hex digits/) }] });

    const again = await cli('import', 'vics', join(dir, 'set.json'), '--set', 'VIC export');
    expect(again.output).toMatch(/already imported; nothing added, 20 in the set/);

    const icse = await cli('export', 'icse', '--set', 'VIC export', '--out', join(dir, 'set.csv'));
    expect(icse.code, icse.output).toBe(0);
    expect(icse.output).toMatch(/20 entries written/);
    const vics = await cli('export', 'vics', '--set', 'VIC export', '--out', join(dir, 'out.json'), '--json');
    expect(JSON.parse(vics.output.trim())).toMatchObject({ entries: 20, format: 'vics' });
    const back = await cli('import', 'vics', join(dir, 'out.json'), '--set', 'Copy', '--json');
    expect(back.code, back.output).toBe(0);
    expect(JSON.parse(back.output.trim().split('\n')[0])).toMatchObject({ imported: 20, problems: [] });
    const copy = await cli('export', 'icse', '--set', 'Copy', '--out', join(dir, 'copy.csv'));
    expect(copy.code).toBe(0);
    expect(readFileSync(join(dir, 'copy.csv'), 'utf8')).toBe(readFileSync(join(dir, 'set.csv'), 'utf8'));

    const pdq = await cli('export', 'pdq', '--set', 'Copy', '--out', '-');
    expect(pdq.output.trim()).toBe('hash,quality,label');
  });

  it('refuses a file that is not what it claims, with a clear message and nothing written', async () => {
    writeFileSync(join(dir, 'not.json'), 'MD5;SHA1\n');
    const run = await cli('import', 'vics', join(dir, 'not.json'), '--set', 'Nothing');
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/not a VICS JSON file/);
    const missing = await cli('export', 'icse', '--set', 'Nothing', '--out', join(dir, 'nothing.csv'));
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/no such hash set/);
    const investigation = await cli('export', 'icse', '--investigation', '1', '--out', join(dir, 'inv.csv'));
    expect(investigation.code).not.toBe(0);
    expect(investigation.output).toMatch(/never reads investigations/);
  });
});
