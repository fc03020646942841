/**
 * `npm run bench -- NAME [args]`: runs one benchmark, or all of them without a name. Each benchmark prints its
 * figures beside a baseline measured in the same run, so results compare across machines.
 */
type Bench = { run(args: string[]): Promise<void> };

const BENCHES: Record<string, () => Promise<Bench>> = {
  hash: () => import('./hash.js'),
  robustness: () => import('./robustness.js'),
  blob: () => import('./blob.js'),
  index: () => import('./index.js'),
};

const [name, ...args] = process.argv.slice(2);
const selected = name === undefined ? Object.keys(BENCHES) : [name];
for (const key of selected) {
  const load = BENCHES[key];
  if (!load) {
    process.stderr.write(`unknown benchmark "${key}"; available: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(64);
  }
  process.stdout.write(`\n== bench ${key} ==\n`);
  await (await load()).run(args);
}
