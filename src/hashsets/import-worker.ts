import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AriadneError } from '../core/errors.js';
import { entryKey, type ExchangeProblem } from '../exchange/entry.js';
import { checkRecords, readRecords } from '../exchange/formats.js';
import type { VicsHeader } from '../exchange/vics.js';
import type { ReaderRequest, ReaderSetup, WorkerMessage } from './import-reader.js';
import { PackedEntriesWriter } from './packed-entries.js';

/**
 * Worker thread of an import (ImportReader starts one per file): it reads and parses the file so the importing thread
 * only writes. `check` reads the file whole for its structure (the importing thread hashes it meanwhile); `read` streams its records from a
 * checkpoint and posts them in batches of packed entries (packed-entries.ts), keyed and sorted for the set's index,
 * parsing the next batch while the importer writes the last one, never more than one batch ahead.
 */
if (!parentPort) throw new Error('import-worker must run in a worker thread');
const port = parentPort;
const setup = workerData as ReaderSetup;
let acked = 0;
let wake: (() => void) | null = null;
/**
 * Reading from the first record starts as soon as the check ends, before the importer has found its checkpoint (it
 * needs the file's SHA-256 first): almost every import starts there. Its first batch waits for the importer's `read`;
 * a read from elsewhere (a resumed import) abandons it.
 */
let asked = false;
let abandoned = false;

port.on('message', (request: ReaderRequest) => {
  if (request.type === 'ack') {
    acked = request.batch;
    notify();
  } else if (request.type === 'check') {
    void check()
      .then(() => read(0))
      .catch(fail);
  } else {
    asked = true;
    if (request.skip !== 0) {
      abandoned = true;
      void read(request.skip).catch(fail);
    }
    notify();
  }
});

/** Wakes the read waiting for the importer, if one is. */
function notify(): void {
  const w = wake;
  wake = null;
  w?.();
}

function fail(error: unknown): void {
  post({ type: 'error', error: describe(error) });
}

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function check(): Promise<void> {
  let header: VicsHeader | null = null;
  const result = await checkRecords(setup.format, createReadStream(setup.path), (h) => (header = h));
  post({ type: 'checked', records: result.records, anyGood: result.anyGood, firstProblem: result.firstProblem, header });
}

async function read(skip: number): Promise<void> {
  const speculative = !asked;
  const stale = () => speculative && abandoned;
  const packer = new PackedEntriesWriter();
  let problems: ExchangeProblem[] = [];
  let problemCount = 0;
  let problemsSent = 0;
  let records = 0;
  let batch = 0;
  const send = async (final: boolean) => {
    // Not before the importer asks (from here), and one batch ahead at most: not before it has written the last one.
    while ((!asked || acked < batch) && !stale()) await new Promise<void>((resolve) => (wake = resolve));
    if (stale()) return;
    const packed = packer.finish();
    batch++;
    post({ type: 'batch', batch, final, records, problems, problemCount, packed }, [packed.bytes.buffer as ArrayBuffer, packed.offsets.buffer as ArrayBuffer]);
    records = 0;
    problems = [];
    problemCount = 0;
  };
  for await (const record of readRecords(setup.format, createReadStream(setup.path), () => undefined, skip)) {
    if (stale()) return;
    records++;
    if (record.ok) packer.add(entryKey(record.entry), record.entry);
    else {
      problemCount++;
      if (problemsSent < setup.maxProblems) {
        problems.push(record.problem);
        problemsSent++;
      }
    }
    if (records >= setup.batchSize) await send(false);
  }
  await send(true);
}

function describe(error: unknown): { kind: string; message: string; details?: Record<string, unknown> } {
  if (error instanceof AriadneError) return { kind: error.kind, message: error.message, details: error.details };
  return { kind: 'internal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
