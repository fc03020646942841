import { readFileSync } from 'node:fs';
import { sharedPath } from '../../support/requirements.js';

/** The PDQ test data folder in ../shared (see its README). */
export const PDQ_DATA = ['testdata', 'pdq'] as const;

export function pdqPath(relative: string): string {
  return sharedPath(...PDQ_DATA, relative);
}

export interface ReferenceRow {
  readonly hash: string;
  readonly quality: number;
  readonly file: string;
  readonly variant?: string;
}

/** Reads a `hash,quality,file[,variant]` CSV from generated/. */
export function readReferenceCsv(name: string): ReferenceRow[] {
  const lines = readFileSync(pdqPath(`generated/${name}`), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [hash, quality, file, variant] = line.trim().split(',');
    return { hash, quality: Number(quality), file, variant };
  });
}
