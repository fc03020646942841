import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg, syntheticPng } from '../../bench/hash-corpus.js';
import { registerHashCommand } from '../../src/cli/commands/hash.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { InvalidError, NotFoundError } from '../../src/core/errors.js';
import { FileHasher } from '../../src/signals/file-hasher.js';
import { HashPool } from '../../src/signals/hash-pool.js';

describe('ariadne hash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-hash-cli-'));
  const jpeg = join(dir, 'photo.jpg');
  const png = join(dir, 'drawing.png');
  const text = join(dir, 'readme.txt');
  const corrupt = join(dir, 'corrupt.jpg');
  const missingFile = join(dir, 'missing.jpg');

  beforeAll(async () => {
    writeFileSync(jpeg, await syntheticJpeg(400, 300, 1));
    writeFileSync(png, await syntheticPng(256, 200, 2));
    writeFileSync(text, 'hello\n');
    const bytes = readFileSync(jpeg);
    writeFileSync(corrupt, bytes.subarray(0, 600));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ out: string; err: string; error?: unknown }> {
    let out = '';
    let err = '';
    const program = new Command('ariadne').exitOverride();
    registerHashCommand(program, {
      createPool: (n) => new HashPool({ size: Math.min(2, n) }),
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
    });
    try {
      await program.parseAsync(['hash', ...args], { from: 'user' });
      return { out, err };
    } catch (error) {
      return { out, err, error };
    }
  }

  it('prints one JSON object per file per line, in order, with exactly the documented fields', async () => {
    const { out, err, error } = await run(['--json', jpeg, text, png]);
    expect(error).toBeUndefined();
    expect(err).toBe('');
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => l.path)).toEqual([jpeg, text, png]);
    for (const line of lines) expect(Object.keys(line)).toEqual(['path', 'size', 'mime', 'md5', 'sha1', 'sha256', 'pdq', 'quality']);
    const local = await new FileHasher().hashFile(jpeg);
    expect(lines[0]).toEqual({ path: jpeg, size: local.size, mime: 'image/jpeg', md5: local.md5, sha1: local.sha1, sha256: local.sha256, pdq: local.pdq, quality: local.quality });
    expect(lines[1]).toMatchObject({ mime: 'application/octet-stream', size: 6, pdq: null, quality: null });
    expect(lines[2]).toMatchObject({ mime: 'image/png' });
    expect(lines[2].pdq).toMatch(/^[0-9a-f]{64}$/);
  });

  it('adds the eight dihedral variants with --dihedral', async () => {
    const { out } = await run(['--json', '--dihedral', jpeg]);
    const line = JSON.parse(out) as { pdq: string; pdqDihedral: string[] };
    expect(line.pdqDihedral).toHaveLength(8);
    expect(line.pdqDihedral[0]).toBe(line.pdq);
    expect(new Set(line.pdqDihedral).size).toBe(8);
  });

  it('reports unreadable and undecodable files as {"path","error"}, hashes the rest, and fails at the end', async () => {
    const { out, error } = await run(['--json', corrupt, jpeg, missingFile, png]);
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => l.path)).toEqual([corrupt, jpeg, missingFile, png]);
    expect(Object.keys(lines[0])).toEqual(['path', 'error']);
    expect(lines[0].error).toMatch(/cannot decode image/);
    expect(lines[2]).toEqual({ path: missingFile, error: 'no such file' });
    expect(lines[1].pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(lines[3].pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toBe('2 of 4 files could not be hashed');
    expect(exitCodeFor(error)).toBe(65);
  });

  it('answers exit code 66 when the only failures are missing files', async () => {
    const { error } = await run(['--json', missingFile]);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(exitCodeFor(error)).toBe(66);
  });

  it('prints a readable table without --json, errors on standard error', async () => {
    const { out, err, error } = await run([jpeg, text, missingFile]);
    const rows = out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^PDQ\s+Q\s+SHA-256\s+SIZE\s+TYPE\s+FILE$/);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(new RegExp(`^[0-9a-f]{64}\\s+\\d+\\s+[0-9a-f]{64}\\s+\\d+\\s+image/jpeg\\s+${jpeg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(rows[2]).toMatch(/^-+\s+-\s+[0-9a-f]{64}\s+6\s+application\/octet-stream\s+/);
    expect(err).toBe(`ariadne hash: ${missingFile}: no such file\n`);
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('adds the letterbox-trimmed hash with --letterbox when the image has bars', async () => {
    const sharp = (await import('sharp')).default;
    const boxed = join(dir, 'boxed.png');
    writeFileSync(boxed, await sharp(readFileSync(png)).extend({ left: 80, right: 80, background: '#fff' }).png().toBuffer());
    const { out } = await run(['--json', '--letterbox', boxed]);
    const line = JSON.parse(out) as { trimmed: { pdq: string; box: unknown } };
    expect(line.trimmed.box).toEqual({ left: 80, top: 0, width: 256, height: 200 });
    expect(line.trimmed.pdq).toBe((await new FileHasher().hashFile(png)).pdq);
  });
});
