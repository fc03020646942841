import { LinearIndex } from '../../src/index/linear-index.js';
import { MultiIndexHashIndex } from '../../src/index/multi-index-hash-index.js';
import { signalIndexContract } from './signal-index.contract.js';

signalIndexContract({ name: 'LinearIndex', create: () => new LinearIndex(), load: (path) => LinearIndex.load(path) });
signalIndexContract({
  name: 'MultiIndexHashIndex',
  create: () => new MultiIndexHashIndex(),
  load: (path) => MultiIndexHashIndex.load(path),
});
// A tiny merge threshold: the same contract with entries moving between the delta chains and the static postings.
signalIndexContract({
  name: 'MultiIndexHashIndex (merging every 8 adds)',
  create: () => new MultiIndexHashIndex({ mergeAt: 8 }),
  load: (path) => MultiIndexHashIndex.load(path, { mergeAt: 8 }),
});
signalIndexContract({
  name: 'MultiIndexHashIndex (shared memory)',
  create: () => new MultiIndexHashIndex({ shared: true }),
  load: (path) => MultiIndexHashIndex.load(path, { shared: true }),
});
