#!/usr/bin/env node
// Entry point of the `ariadne` command: runs the compiled CLI (npm run build writes dist/). CommonJS (bin/package.json)
// so that the thread pool is sized before the ES module loader starts it.
'use strict';
require('./threadpool.js');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const main = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('ariadne: the compiled code is missing; run `npm run build` in the project folder first.\n');
  process.exit(70);
}
import(pathToFileURL(main).href);
