import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { contextFor, inTransaction, type RequestContext, type TxContext, type UserActor } from '../auth/actor.js';
import type { AccessModule } from '../auth/access-module.js';
import type { ClientMeta } from '../auth/auth-service.js';
import { safeEqual } from '../auth/secret-box.js';
import type { IssuedSession, LiveSession } from '../auth/sessions.js';
import { PERMISSIONS, type Permission } from '../auth/roles.js';
import { ForbiddenError, UnauthenticatedError } from '../core/errors.js';

/**
 * What a route needs, declared in its options as `config: { access }`: `'public'` (no sign-in) or one permission
 * from auth/roles.ts. A route that declares nothing is refused when it is registered, so the application cannot
 * start with an unguarded route.
 */
export type RouteAccess = 'public' | Permission;

/** One registered route and what it declared: the application's access table. */
export interface RouteAccessEntry {
  readonly method: string;
  readonly url: string;
  readonly access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the application, with its declared access (filled as routes register). */
    readonly accessTable: readonly RouteAccessEntry[];
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The signed-in user; set before the handler runs on every non-public route. */
    actor: UserActor | null;
    /** The session behind the request when it came with a session cookie. */
    authSession: LiveSession | null;
  }
}

export const SESSION_COOKIE = '__Host-ariadne_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Routes registered by plugins that cannot carry a config, public by decision: the OpenAPI UI under /api/docs
 * (static files and the document, which describes the API and holds no data; /api/openapi.json likewise).
 */
export const PUBLIC_PLUGIN_PREFIXES = ['/api/docs'] as const;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Authentication and route-level authorisation for the whole application. Registered before any route.
 * Order per request: route declared? → credential (bearer token, else session cookie) → CSRF for cookie-borne
 * unsafe requests → the route's permission (policy.check). Anonymous: 401; signed in without the right: 403.
 * Object-level rules (countries, agencies, sharing) are checked by the services, which answer 404.
 */
export async function registerAccessControl(app: FastifyInstance, options: { access: AccessModule | undefined; loginRatePerMinute: number }): Promise<void> {
  const module = options.access;
  const table: RouteAccessEntry[] = [];
  app.decorate('accessTable', table);
  app.decorateRequest('actor', null);
  app.decorateRequest('authSession', null);
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`too many requests; try again in ${context.after}`) as Error & { statusCode: number; code: string };
      error.statusCode = context.statusCode;
      error.code = 'rate_limited';
      return error;
    },
  });

  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url ?? '';
    const declared = route.config?.access;
    if (declared === undefined) {
      if (PUBLIC_PLUGIN_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) {
        route.config = { ...route.config, access: 'public' };
        for (const method of [route.method].flat()) table.push({ method, url, access: 'public' });
        return;
      }
      throw new Error(`route ${String(route.method)} ${url} declares no access: add config.access ('public' or a permission from src/auth/roles.ts)`);
    }
    if (declared !== 'public' && !(declared in PERMISSIONS)) throw new Error(`route ${String(route.method)} ${url} names an unknown permission "${String(declared)}"`);
    for (const method of [route.method].flat()) table.push({ method, url, access: declared });
    if (declared !== 'public' && route.schema && !route.schema.hide) {
      const rule = PERMISSIONS[declared];
      const schema = route.schema as Record<string, unknown>;
      const note = `Requires \`${declared}\` (${rule.roles.join(', ')}${rule.certified ? '; certified' : ''}; ${rule.scope === null ? 'sessions only' : `token scope ${rule.scope}`}).`;
      route.schema = {
        ...route.schema,
        security: [{ session: [] }, { token: [] }],
        description: typeof schema.description === 'string' ? `${schema.description}\n\n${note}` : note,
      } as typeof route.schema;
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    if (access === 'public') return;
    // Answers about people and material never sit in a shared or browser cache.
    reply.header('cache-control', 'no-store');
    // Fail closed: a route without a declaration cannot exist (onRoute), but never let one through.
    if (access === undefined || module === undefined) throw new UnauthenticatedError();
    const now = Date.now();
    const actor = await authenticate(module, request, now);
    if (!actor) throw new UnauthenticatedError();
    request.actor = actor;
    const decision = module.policy.check(actor, access, now);
    if (!decision.ok) throw new ForbiddenError(decision.reason);
  });
}

async function authenticate(module: AccessModule, request: FastifyRequest, now: number): Promise<UserActor | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) return null;
    return module.auth.authenticateToken(match[1], { ...clientMeta(request, now), method: request.method, route: request.routeOptions.url ?? '' });
  }
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  const found = await module.auth.authenticateSession(token, now);
  if (!found) return null;
  if (UNSAFE.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !safeEqual(given, found.session.csrfToken)) throw new ForbiddenError('missing or wrong CSRF token (send the x-csrf-token header)');
  }
  request.authSession = found.session;
  return found.actor;
}

/** The signed-in user of a request (every non-public route has one). */
export function actorOf(request: FastifyRequest): UserActor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}

export function clientMeta(request: FastifyRequest, now = Date.now()): ClientMeta {
  const userAgent = request.headers['user-agent'];
  return { address: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null, requestId: String(request.id), now };
}

/** The service context of a request: actor, country, request id, address, time. */
export function contextOf(request: FastifyRequest): RequestContext {
  return contextFor(actorOf(request), { requestId: String(request.id), address: request.ip ?? null });
}

/** Runs a service call for a request in one transaction (its writes and audit entries commit together). */
export function inRequestTransaction<T>(module: AccessModule, request: FastifyRequest, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  return inTransaction(module.db, contextOf(request), fn);
}

export function setSessionCookie(reply: FastifyReply, session: IssuedSession, now = Date.now()): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge: Math.max(1, Math.floor((session.expiresAt - now) / 1000)),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}
