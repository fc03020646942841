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

port.on('message', (request: ReaderRequest) => {
  if (request.type === 'ack') {
    acked = request.batch;
    wake?.();
    return;
  }
  void (request.type === 'check' ? check() : read(request.skip, request.batchSize)).catch((error: unknown) => post({ type: 'error', error: describe(error) }));
});

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function check(): Promise<void> {
  let header: VicsHeader | null = null;
  const result = await checkRecords(setup.format, createReadStream(setup.path), (h) => (header = h));
  post({ type: 'checked', records: result.records, anyGood: result.anyGood, firstProblem: result.firstProblem, header });
}

async function read(skip: number, batchSize: number): Promise<void> {
  const packer = new PackedEntriesWriter();
  let problems: ExchangeProblem[] = [];
  let problemCount = 0;
  let problemsSent = 0;
  let records = 0;
  let batch = 0;
  const send = async (final: boolean) => {
    // One batch ahead at most: wait until the importer has written the one before.
    while (acked < batch) await new Promise<void>((resolve) => (wake = resolve));
    const packed = packer.finish();
    batch++;
    post({ type: 'batch', batch, final, records, problems, problemCount, packed }, [packed.bytes.buffer as ArrayBuffer, packed.offsets.buffer as ArrayBuffer]);
    records = 0;
    problems = [];
    problemCount = 0;
  };
  for await (const record of readRecords(setup.format, createReadStream(setup.path), () => undefined, skip)) {
    records++;
    if (record.ok) packer.add(entryKey(record.entry), record.entry);
    else {
      problemCount++;
      if (problemsSent < setup.maxProblems) {
        problems.push(record.problem);
        problemsSent++;
      }
    }
    if (records >= batchSize) await send(false);
  }
  await send(true);
}

function describe(error: unknown): { kind: string; message: string; details?: Record<string, unknown> } {
  if (error instanceof AriadneError) return { kind: error.kind, message: error.message, details: error.details };
  return { kind: 'internal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
