import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts a throw-away PostgreSQL server from the machine's own binaries (Debian's postgresql package) in a
 * temporary directory, on a free loopback port. As root, the server runs as the `postgres` system user, since
 * PostgreSQL refuses to run as root.
 */
export interface PostgresServer {
  readonly url: string;
  readonly version: string;
  stop(): void;
}

export function findPostgresBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.ARIADNE_PG_BIN) candidates.push(process.env.ARIADNE_PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, v, 'bin'));
  }
  const which = spawnSync('sh', ['-c', 'dirname "$(command -v pg_ctl)"'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '.') candidates.push(which.stdout.trim());
  return candidates.find((dir) => existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-pg-'));
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gidOut = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root and there is no `postgres` user to run the PostgreSQL server as');
    uid = Number(id.stdout.trim());
    gid = Number(gidOut.stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (file: string, args: string[]) =>
    execFileSync(join(bin, file), args, { uid, gid, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'ariadne', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  run('pg_ctl', [
    '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    'start',
  ]);
  const version = run('postgres', ['--version']).trim();
  return {
    url: `postgres://ariadne@127.0.0.1:${port}/postgres`,
    version,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
