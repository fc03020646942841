import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { openDatabase } from '../../src/db/database.js';
import { spawnNode } from '../support/processes.js';

/** `ariadne ingest --series/--category`: decisions of a national unit, recorded by the operator for that agency. */
describe('ariadne ingest --series --category --agency --country', () => {
  let dir: string;
  let data: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-unit-'));
    data = join(dir, 'data');
    env = { ARIADNE_DATA_DIR: data, ARIADNE_LOG_LEVEL: 'error', ARIADNE_JOB_POLL_MS: '50' };
    mkdirSync(join(dir, 'seizure'));
    writeFileSync(join(dir, 'seizure', 'a.jpg'), await syntheticJpeg(480, 360, 701));
    writeFileSync(join(dir, 'seizure', 'b.jpg'), await syntheticJpeg(400, 300, 702));
    writeFileSync(join(dir, 'seizure', 'notes.txt'), 'not media');
    const add = spawnNode('dist/src/cli/main.js', ['users', 'add', '--country', 'FR', '--agency', 'OCRVP', '--role', 'investigator', '--username', 'lea', '--json'], env);
    expect((await add.exited).code, add.output()).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an agency that does not exist, before reading anything', async () => {
    const run = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'seizure'), '--series', 'Blue room', '--agency', 'Nobody', '--country', 'FR'], env);
    expect((await run.exited).code).not.toBe(0);
    expect(run.output()).toMatch(/no agency "Nobody" in FR/);
    const noAgency = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'seizure'), '--category', '1'], env);
    expect((await noAgency.exited).code).not.toBe(0);
    expect(noAgency.output()).toMatch(/need --agency NAME and --country CC/);
    const database = await openDatabase({ dialect: 'sqlite', path: join(data, 'ariadne.sqlite') });
    try {
      expect(await database.db.selectFrom('submissions').select('id').execute()).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('adds every item to the agency series with the category, audited as the operator; a later match is known and names the series', async () => {
    const run = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'seizure'), '--series', 'Blue room', '--agency', 'OCRVP', '--country', 'FR', '--category', '1', '--baseline', '--json'], env);
    const exit = await run.exited;
    expect(exit.code, run.output()).toBe(0);
    expect(run.output()).toMatch(/for OCRVP \(FR\): series \d+ \(created\): 2 items added; category 1 baseline assigned to 2 items/);

    const database = await openDatabase({ dialect: 'sqlite', path: join(data, 'ariadne.sqlite') });
    try {
      const db = database.db;
      const series = await db.selectFrom('series as s').innerJoin('agencies as a', 'a.id', 's.agency_id').select(['s.id', 's.name', 's.created_by', 'a.name as agency']).execute();
      expect(series).toEqual([{ id: expect.any(Number), name: 'Blue room', created_by: null, agency: 'OCRVP' }]);
      const items = await db.selectFrom('submission_files').select('media_id').where('status', '=', 'done').orderBy('media_id').execute();
      expect(items).toHaveLength(2);
      const members = await db.selectFrom('series_media').select(['media_id', 'added_by']).where('series_id', '=', series[0].id).orderBy('media_id').execute();
      expect(members).toEqual(items.map((i) => ({ media_id: i.media_id, added_by: null })));
      const categories = await db.selectFrom('media_categories').select(['media_id', 'category', 'baseline', 'votes']).orderBy('media_id').execute();
      expect(categories).toEqual(items.map((i) => ({ media_id: i.media_id, category: 1, baseline: 1, votes: 0 })));
      expect(await db.selectFrom('category_votes').select('id').execute()).toEqual([]);
      const audit = await db.selectFrom('audit_log').select(['actor_name', 'action', 'details']).where('action', 'in', ['series.create', 'series.media.add', 'media.category.assign', 'media.category.settle']).orderBy('seq').execute();
      expect(audit.map((a) => a.action)).toEqual(['series.create', 'series.media.add', 'media.category.assign', 'media.category.settle', 'media.category.assign', 'media.category.settle']);
      for (const a of audit) expect(a.actor_name).toMatch(/^system:cli:/);
      expect(JSON.parse(audit[2].details ?? 'null')).toMatchObject({ category: 1, baseline: true, decision: 'assigned by the national unit on import' });
    } finally {
      await database.close();
    }

    const again = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'seizure', 'a.jpg'), '--series', 'Blue room', '--agency', 'OCRVP', '--country', 'FR'], env);
    expect((await again.exited).code, again.output()).toBe(0);
    expect(again.output()).toMatch(/series \d+: 0 items added/);

    const scan = spawnNode('dist/src/cli/main.js', ['scan', join(dir, 'seizure', 'a.jpg'), '--json'], env);
    expect((await scan.exited).code, scan.output()).toBe(0);
    const result = JSON.parse(scan.output().trim().split('\n')[0]) as { status: string; matches: Array<{ item: { series: Array<{ name: string }>; category: number | null } | null }> };
    expect(result.status).toBe('known');
    expect(result.matches[0].item).toMatchObject({ series: [{ name: 'Blue room' }], category: 1 });
  });
});
