#!/usr/bin/env node
// Entry point of the `ariadne` command: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

// sharp decodes on libuv's thread pool (4 threads by default): give it one per core so that hashing workers are
// not held back on larger machines. Must be set before anything starts the pool.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('ariadne: the compiled code is missing; run `npm run build` in the project folder first.\n');
  process.exit(70);
}
await import(main.href);
