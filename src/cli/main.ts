import { describeFailure, exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`${describeFailure(error)}\n`);
  process.exit(exitCodeFor(error));
}
