/** Runs the index benchmark without the dispatcher: `node dist/bench/index-direct.js [sizes...]`. */
import { run } from './index.js';

await run(process.argv.slice(2));
