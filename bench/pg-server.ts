import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PostgreSQL server for benchmarks, from the machine's own binaries (Debian's postgresql package, or
 * ARIADNE_PG_BIN), in a temporary directory on a free loopback port; as root it runs as the `postgres` user. The
 * same procedure as the test harness (test/support/postgres-server.ts), which the build does not include; unlike
 * the tests' server this one keeps fsync on, so the figures include durable commits.
 */
export interface BenchPostgres {
  /** Admin URL (database `postgres`). */
  readonly url: string;
  readonly version: string;
  /** A URL for a new, empty database. */
  createDatabase(name: string): string;
  stop(): void;
}

export function findPostgresBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.ARIADNE_PG_BIN) candidates.push(process.env.ARIADNE_PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, v, 'bin'));
  const which = spawnSync('sh', ['-c', 'dirname "$(command -v pg_ctl)"'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '.') candidates.push(which.stdout.trim());
  return candidates.find((d) => existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startBenchPostgres(bin: string): Promise<BenchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-bench-pg-'));
  let uid: number | undefined;
  let gid: number | undefined;
  if (process.getuid?.() === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root and there is no `postgres` user to run the PostgreSQL server as');
    uid = Number(id.stdout.trim());
    gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (file: string, args: string[]) => execFileSync(join(bin, file), args, { uid, gid, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'ariadne', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
  const url = `postgres://ariadne@127.0.0.1:${port}/postgres`;
  return {
    url,
    version: run('postgres', ['--version']).trim(),
    createDatabase(name) {
      if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new Error(`bad database name ${name}`);
      execFileSync(join(bin, 'psql'), ['-q', '-d', url, '-c', `create database ${name}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
