import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.js';

const localeDir = join(projectRoot, 'web', 'src', 'locales');
const load = (lng: string) => JSON.parse(readFileSync(join(localeDir, `${lng}.json`), 'utf8')) as Record<string, unknown>;

function keys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every string of the interface exists in English, French and Spanish, and every key the code asks for exists. */
describe('web application strings', () => {
  const en = keys(load('en')).sort();

  it('has the same keys in every language, none empty', () => {
    for (const lng of ['fr', 'es']) {
      const other = load(lng);
      expect(keys(other).sort(), lng).toEqual(en);
      for (const key of keys(other)) {
        const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], other);
        expect(String(value).trim(), `${lng}:${key}`).not.toBe('');
      }
    }
  });

  it('knows every literal key the code uses (plural keys by their _one/_other forms)', () => {
    const known = new Set(en.map((k) => k.replace(/_(one|other)$/, '')));
    const used = new Set<string>();
    for (const file of sources(join(projectRoot, 'web', 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z]+\.[a-zA-Z0-9.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
  });
});
