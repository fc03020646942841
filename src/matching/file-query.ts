import type { FileSignals } from '../signals/file-hasher.js';
import { PDQ_MIN_QUALITY } from '../signals/pdq/pdq-signal.js';
import type { MatchRequest } from './match-service.js';

/**
 * The match query for a file's signals: its digests; its PDQ with the eight dihedral variants (rotated and mirrored
 * copies) when the image is detailed enough to trust (quality 50 or more); and the PDQ of the content inside a
 * letterbox, when it has one. `notes` say why a signal was left out.
 */
export function queryFromSignals(signals: FileSignals): { query: MatchRequest; notes: string[] } {
  const notes: string[] = [];
  const pdq: string[] = [];
  let pdqDihedral: readonly string[] | undefined;
  if (signals.pdq === null) notes.push(signals.imageError ? `no PDQ: ${signals.imageError}` : 'no PDQ: not an image');
  else if ((signals.quality ?? 0) < PDQ_MIN_QUALITY) notes.push(`PDQ not matched: quality ${signals.quality} is below ${PDQ_MIN_QUALITY} (too flat to trust)`);
  else if (signals.pdqDihedral?.length === 8) pdqDihedral = signals.pdqDihedral;
  else pdq.push(signals.pdq);
  if (signals.trimmed && signals.trimmed.quality >= PDQ_MIN_QUALITY) pdq.push(signals.trimmed.pdq);
  return {
    query: { md5: signals.md5, sha1: signals.sha1, sha256: signals.sha256, ...(pdq.length > 0 ? { pdq } : {}), ...(pdqDihedral ? { pdqDihedral } : {}) },
    notes,
  };
}
