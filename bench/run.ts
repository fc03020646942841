/**
 * `npm run bench -- NAME [args]`: runs one benchmark, or all of them without a name. Each benchmark module in this
 * folder exports `run(args)` and prints its figures beside a baseline measured in the same run, so results compare
 * across machines.
 */
type Bench = { run(args: string[]): Promise<void> };

const BENCHES = ['hash', 'robustness', 'index', 'ingest', 'blob', 'search', 'exchange', 'scale', 'stats', 'video', 'connect'] as const;

const [name, ...args] = process.argv.slice(2);
const selected: readonly string[] = name === undefined ? BENCHES : [name];
for (const key of selected) {
  if (!(BENCHES as readonly string[]).includes(key)) {
    process.stderr.write(`unknown benchmark "${key}"; available: ${BENCHES.join(', ')}\n`);
    process.exit(64);
  }
  process.stdout.write(`\n== bench ${key} ==\n`);
  const bench = (await import(`./${key}.js`)) as Bench;
  await bench.run(args);
}
