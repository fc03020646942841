// Sizes libuv's thread pool, which must happen before anything starts it, so this runs as CommonJS before any ES
// module is loaded (the ES module loader itself reads files through the pool): required first by ariadne.js, and
// preloaded (`node --require ./bin/threadpool.js`) by the benchmarks.
//
// sharp decodes images on that pool, and each hashing thread keeps up to two decodes in flight; with the default
// four threads, file reads, writes and fsyncs would queue behind decodes. So: two per core, plus four for files
// and crypto. An operator's own UV_THREADPOOL_SIZE wins.
'use strict';
const { availableParallelism } = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(2 * availableParallelism() + 4);
