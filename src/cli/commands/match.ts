import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { isHash256Hex, parseHash256 } from '../../core/hash256.js';
import { InvalidError } from '../../core/errors.js';
import { DEFAULT_PDQ_RADIUS, MAX_PDQ_RADIUS, type MatchHit } from '../../matching/match-service.js';

const BATCH = 1000;

/**
 * `ariadne match --pdq HEX | --pdq-file FILE [--radius R] [--json]`: PDQ matching from the command line against the
 * configured installation's indexes (loaded from their snapshots and caught up with the database).
 * With --json: one line per query, `{"query","matches":[{"hash","distance","set","label","item"}]}`.
 */
export function registerMatchCommand(program: Command): void {
  program
    .command('match')
    .description('match PDQ hashes against every stored item and hash set')
    .option('--pdq <hex>', 'one PDQ hash (64 hex digits)')
    .option('--pdq-file <file>', 'a file of PDQ hashes, one per line (text after a comma is ignored); - for standard input')
    .option('--radius <n>', `distance threshold 0-${MAX_PDQ_RADIUS}`, (v) => radiusOption(v), DEFAULT_PDQ_RADIUS)
    .option('--json', 'one JSON line per query')
    .action(async (o: { pdq?: string; pdqFile?: string; radius: number; json?: boolean }) => {
      if ((o.pdq === undefined) === (o.pdqFile === undefined)) throw new InvalidError('give either --pdq HEX or --pdq-file FILE');
      const container = await openForCli();
      let unmatched = 0;
      try {
        const service = await container.matching();
        const ctx = contextFor(operatorActor());
        const queries = o.pdq !== undefined ? single(o.pdq) : readHashes(o.pdqFile!);
        let batch: Uint8Array[] = [];
        const flush = async () => {
          const answers = await service.matchPdqBatch(ctx, batch, o.radius);
          answers.forEach((hits, i) => {
            if (hits.length === 0) unmatched++;
            process.stdout.write(o.json ? `${JSON.stringify(toJsonLine(batch[i], hits))}\n` : describe(batch[i], hits));
          });
          batch = [];
        };
        for await (const q of queries) {
          batch.push(q);
          if (batch.length >= BATCH) await flush();
        }
        if (batch.length > 0) await flush();
      } finally {
        await container.close();
      }
      // Like grep: 0 when something matched, 1 when nothing did.
      if (o.pdq !== undefined && unmatched > 0) process.exitCode = 1;
    });
}

async function* single(hex: string): AsyncGenerator<Uint8Array> {
  yield parseHash256(hex.trim());
}

async function* readHashes(path: string): AsyncGenerator<Uint8Array> {
  const input = path === '-' ? process.stdin : createReadStream(path);
  let line = 0;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    const text = (line === 1 ? raw.replace(/^\ufeff/, '') : raw).trim();
    if (text === '' || text.startsWith('#')) continue;
    const hex = text.split(',')[0].trim();
    if (!isHash256Hex(hex)) throw new InvalidError(`${path}:${line}: not a PDQ hash (64 hex digits)`);
    yield parseHash256(hex);
  }
}

function toJsonLine(query: Uint8Array, hits: readonly MatchHit[]) {
  return {
    query: Buffer.from(query).toString('hex'),
    matches: hits.map((h) => ({ hash: h.hash, distance: h.distance, set: h.set?.name ?? null, label: h.label, item: h.item, entryVariant: h.entryVariant })),
  };
}

function describe(query: Uint8Array, hits: readonly MatchHit[]): string {
  const q = Buffer.from(query).toString('hex');
  if (hits.length === 0) return `${q}  no match\n`;
  return hits
    .map((h) => `${q}  d=${String(h.distance).padStart(3)}  ${h.hash}  ${h.set ? `set "${h.set.name}"${h.label ? ` (${h.label})` : ''}` : `item ${h.item?.id} ${h.item?.sha256}`}\n`)
    .join('');
}

function radiusOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_PDQ_RADIUS) throw new InvalidError(`--radius must be a whole number 0-${MAX_PDQ_RADIUS}`);
  return n;
}
