// Builds the web application with Vite only when its sources changed since the last build: a SHA-256 over every
// file under web/ (except this one's output) and the versions of the packages it bundles, kept in dist/web/.source-hash.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const root = join(webDir, '..');
const outDir = join(root, 'dist', 'web');
const stamp = join(outDir, '.source-hash');

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const hash = createHash('sha256');
for (const path of files(webDir)) hash.update(relative(webDir, path)).update('\0').update(readFileSync(path)).update('\0');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
for (const pkg of ['react', 'react-dom', 'i18next', 'react-i18next', 'qrcode', 'vite', '@vitejs/plugin-react']) hash.update(`${pkg}@${lock.packages?.[`node_modules/${pkg}`]?.version ?? '?'}\n`);
const digest = hash.digest('hex');

if (process.argv.includes('--force') || !existsSync(join(outDir, 'index.html')) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
  const { build } = await import('vite');
  await build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stamp, digest);
  console.log(`web application built into ${relative(root, outDir)}`);
} else {
  console.log('web application up to date');
}
