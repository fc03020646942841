import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { isHash256Hex, parseHash256 } from '../../core/hash256.js';
import { InvalidError } from '../../core/errors.js';
import { DEFAULT_PDQ_RADIUS, MAX_PDQ_RADIUS, type MatchHit } from '../../matching/match-service.js';
import { videoFileHasher } from '../../video/video-file-hasher.js';

const BATCH = 1000;

/**
 * `ariadne match --pdq HEX | --pdq-file FILE | --video FILE [--radius R] [--threshold T] [--json]`: PDQ matching from
 * the command line against the configured installation's indexes (loaded from their snapshots and caught up with the
 * database). With --json: one line per query, `{"query","matches":[{"hash","distance","set","label","item"}]}`; for
 * --video one line `{"file","framesHashed","usableFrames","videos":[…],"frameHits":[…]}`.
 */
export function registerMatchCommand(program: Command): void {
  program
    .command('match')
    .description('match PDQ hashes, or a video file, against every stored item and hash set')
    .option('--pdq <hex>', 'one PDQ hash (64 hex digits)')
    .option('--pdq-file <file>', 'a file of PDQ hashes, one per line (text after a comma is ignored); - for standard input')
    .option('--radius <n>', `distance threshold 0-${MAX_PDQ_RADIUS}`, (v) => radiusOption(v), DEFAULT_PDQ_RADIUS)
    .option('--video <file>', 'a video file: its sampled frames matched as a video (same video, clip of one, contains one) and against images')
    .option('--threshold <share>', 'with --video: share of usable frames that must match (0-1, default 0.8)', (v) => Number(v))
    .option('--json', 'one JSON line per query')
    .action(async (o: { pdq?: string; pdqFile?: string; video?: string; threshold?: number; radius: number; json?: boolean }) => {
      if ([o.pdq, o.pdqFile, o.video].filter((v) => v !== undefined).length !== 1) throw new InvalidError('give one of --pdq HEX, --pdq-file FILE or --video FILE');
      if (o.video !== undefined) {
        process.exitCode = await matchVideoFile(o.video, { radius: o.radius, threshold: o.threshold, json: o.json === true });
        return;
      }
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

/** Exit status like grep: 0 when a video or image matched, 1 when nothing did. */
async function matchVideoFile(path: string, o: { radius: number; threshold?: number; json: boolean }): Promise<number> {
  const container = await openForCli();
  try {
    if (!container.ffmpeg) throw new InvalidError('no ffmpeg: install Debian\'s ffmpeg or set ARIADNE_FFMPEG to match videos');
    const frames = await videoFileHasher(container.ffmpeg, container.config.video.sampleFps)(path);
    const service = await container.videoMatching();
    const report = await service.match(contextFor(operatorActor()), { frames, radius: o.radius, threshold: o.threshold });
    const videos = report.videos.map(({ hit, ...v }) => ({ ...v, item: hit.item }));
    const frameHits = report.frameHits.map((h) => ({ queryFrameMs: h.queryFrameMs, hash: h.hash, distance: h.distance, set: h.set?.name ?? null, label: h.label, item: h.item }));
    if (o.json) process.stdout.write(`${JSON.stringify({ file: path, framesHashed: frames.count, usableFrames: report.usableFrames, known: report.known, videos, frameHits })}\n`);
    else {
      process.stdout.write(`${path}: ${frames.count} frames hashed, ${report.usableFrames} usable\n`);
      for (const v of videos) {
        const where = v.relation === 'query-in-target' ? ` at ${(v.target.startMs / 1000).toFixed(1)}-${(v.target.endMs / 1000).toFixed(1)} s` : '';
        process.stdout.write(`  video item ${v.item?.id} ${v.item?.sha256}  ${v.relation}${where}  query ${(v.queryShare * 100).toFixed(0)} %, stored ${(v.targetShare * 100).toFixed(0)} %\n`);
      }
      for (const h of frameHits) process.stdout.write(`  frame at ${((h.queryFrameMs ?? 0) / 1000).toFixed(1)} s  d=${h.distance}  ${h.set ? `set "${h.set}"` : `item ${h.item?.id} ${h.item?.sha256}`}\n`);
      if (videos.length === 0 && frameHits.length === 0) process.stdout.write('  no match\n');
    }
    return videos.length > 0 || frameHits.length > 0 ? 0 : 1;
  } finally {
    await container.close();
  }
}

function radiusOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_PDQ_RADIUS) throw new InvalidError(`--radius must be a whole number 0-${MAX_PDQ_RADIUS}`);
  return n;
}
