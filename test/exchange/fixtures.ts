import { createHash } from 'node:crypto';

/**
 * Synthetic exchange files written from the published VICS field list (no material: hashes of counters). Each
 * media record is a plain object exactly as an exporter would write it.
 */
export function digest(algorithm: 'md5' | 'sha1' | 'sha256', seed: string): string {
  return createHash(algorithm).update(seed).digest('hex');
}

export function mediaRecord(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    MediaID: i,
    Category: i % 6,
    MD5: digest('md5', `m${i}`).toUpperCase(),
    SHA1: digest('sha1', `m${i}`),
    MediaSize: 1000 + i,
    VictimIdentified: i % 2 === 0,
    OffenderIdentified: false,
    IsDistributed: true,
    ...extra,
  };
}

export function vicsDocument(kind: 'Media' | 'Cases', value: unknown[], version: '1.3' | '2.0' = '2.0', key = 'odata.metadata'): string {
  return JSON.stringify({ [key]: `http://github.com/ICMEC/ProjectVic/DataModels/${version}.xml/CUSTOM/$metadata#${kind}`, value });
}
