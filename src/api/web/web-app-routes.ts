import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the built web application is: `dist/web` beside the compiled server (dist/src/api/web → dist/web), or, when
 * the server runs from source (tests), the project's dist/web. Null when it has not been built.
 */
export function findWebRoot(): string | null {
  const candidates = [resolve(here, '..', '..', '..', 'web'), resolve(here, '..', '..', '..', 'dist', 'web')];
  for (const c of candidates) if (existsSync(join(c, 'index.html'))) return c;
  return null;
}

/**
 * Serves the investigators' single-page application from the Ariadne process: files of the Vite build as they
 * are, and index.html for every other path outside /api (the application routes in the browser). Paths under /api
 * never fall back: an unknown API path keeps answering the API's JSON 404. Hashed assets are cached for a year;
 * index.html is revalidated on every load so a new build is picked up at once. The strict CSP of app.ts applies
 * unchanged: the build has no inline script.
 */
export async function registerWebApp(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false, decorateReply: true });
  const base = resolve(root);
  const handler = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    const wanted = request.params['*'] ?? '';
    if (wanted === 'api' || wanted.startsWith('api/')) return reply.callNotFound();
    const file = wanted === '' ? null : resolve(base, normalize(wanted));
    if (file && file.startsWith(base + sep) && isFile(file)) {
      const immutable = file.startsWith(join(base, 'assets') + sep);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.sendFile(file.slice(base.length + 1), base, { cacheControl: false });
    }
    // A missing asset is a 404, not the page (a script that answers HTML would fail confusingly).
    if (/\.[a-z0-9]{1,8}$/i.test(wanted)) return reply.callNotFound();
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', base, { cacheControl: false });
  };
  for (const url of ['/', '/*']) app.get(url, { schema: { hide: true }, config: { access: 'public' } }, handler);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
