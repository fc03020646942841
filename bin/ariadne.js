#!/usr/bin/env node
// Entry point of the `ariadne` command: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('ariadne: the compiled code is missing; run `npm run build` in the project folder first.\n');
  process.exit(70);
}
await import(main.href);
