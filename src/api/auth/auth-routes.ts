import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import { PERMISSIONS, type Permission } from '../../auth/roles.js';
import { actorOf, clearSessionCookie, clientMeta, contextOf, inRequestTransaction, setSessionCookie } from '../access.js';
import { createTokenBody, idParam, issuedTokenSchema, tokenSchema, userSchema } from './auth-schemas.js';

const loginBody = z
  .strictObject({
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(1024),
    totp: z.string().max(16).optional(),
    recoveryCode: z.string().max(64).optional(),
  })
  .refine((b) => (b.totp === undefined) !== (b.recoveryCode === undefined), { message: 'give either totp or recoveryCode' });

const sessionAnswer = z.object({
  user: userSchema,
  csrfToken: z.string().describe('send it as the x-csrf-token header with every POST, PUT, PATCH and DELETE'),
  expiresAt: z.number().int(),
  restricted: z.boolean().describe('true until the one-time password is changed: only account routes answer'),
  recoveryCodes: z.array(z.string()).optional().describe('shown once, on the sign-in that confirms the authenticator'),
});

const meAnswer = z.object({
  user: userSchema,
  certified: z.boolean(),
  restricted: z.boolean(),
  via: z.enum(['session', 'token']),
  csrfToken: z.string().optional(),
  permissions: z.array(z.string()),
});

/** Sign-in, sign-out, one's own account, password, recovery codes and API tokens. */
export function authRoutes(access: AccessModule, options: { loginRatePerMinute: number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/auth/login',
      {
        schema: { tags: ['auth'], summary: 'Sign in with user name, password and an authenticator (or recovery) code', body: loginBody, response: { 200: sessionAnswer } },
        config: { access: 'public', rateLimit: { max: options.loginRatePerMinute, timeWindow: 60_000 } },
      },
      async (request, reply) => {
        const meta = clientMeta(request);
        // A new session id every time, whatever cookie came with the request (no session fixation).
        const result = await access.auth.login(meta, request.body);
        setSessionCookie(reply, result.session, meta.now);
        return {
          user: result.user,
          csrfToken: result.session.csrfToken,
          expiresAt: result.session.expiresAt,
          restricted: result.user.mustChangePassword,
          ...(result.recoveryCodes ? { recoveryCodes: [...result.recoveryCodes] } : {}),
        };
      },
    );

    app.post(
      '/api/auth/logout',
      { schema: { tags: ['auth'], summary: 'Sign out (ends this session)', response: { 204: z.null() } }, config: { access: 'account' } },
      async (request, reply) => {
        await inRequestTransaction(access, request, (ctx) => access.auth.logout(ctx));
        clearSessionCookie(reply);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/api/auth/me',
      { schema: { tags: ['auth'], summary: 'Who am I: account, certification and what I may do', response: { 200: meAnswer } }, config: { access: 'account' } },
      async (request) => {
        const actor = actorOf(request);
        const user = await inRequestTransaction(access, request, (ctx) => access.auth.me(ctx));
        const permissions = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => access.policy.can(actor, p));
        return {
          user,
          certified: access.policy.isCertified(actor),
          restricted: actor.credential.kind === 'session' && actor.credential.restricted,
          via: actor.credential.kind,
          ...(request.authSession ? { csrfToken: request.authSession.csrfToken } : {}),
          permissions,
        };
      },
    );

    app.post(
      '/api/auth/password',
      {
        schema: {
          tags: ['auth'],
          summary: 'Change my password (ends every session, issues a new one)',
          body: z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }),
          response: { 200: sessionAnswer },
        },
        config: { access: 'account' },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const userAgent = request.headers['user-agent'] ?? null;
        const session = await access.auth.changePassword(ctx, request.body, { userAgent });
        setSessionCookie(reply, session, ctx.now);
        const user = await inRequestTransaction(access, request, (c) => access.auth.me(c));
        return { user, csrfToken: session.csrfToken, expiresAt: session.expiresAt, restricted: user.mustChangePassword };
      },
    );

    app.post(
      '/api/auth/recovery-codes',
      {
        schema: {
          tags: ['auth'],
          summary: 'Replace my recovery codes (needs a current authenticator code)',
          body: z.strictObject({ totp: z.string().max(16) }),
          response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
        },
        config: { access: 'account.manage' },
      },
      async (request) => ({ recoveryCodes: await inRequestTransaction(access, request, (ctx) => access.auth.regenerateRecoveryCodes(ctx, request.body)) }),
    );

    app.get(
      '/api/auth/tokens',
      { schema: { tags: ['auth'], summary: 'My API tokens', response: { 200: z.object({ tokens: z.array(tokenSchema) }) } }, config: { access: 'account.manage' } },
      async (request) => {
        const actor = actorOf(request);
        return { tokens: (await inRequestTransaction(access, request, (ctx) => access.tokens.list(ctx, actor.userId))).map((t) => ({ ...t, scopes: [...t.scopes] })) };
      },
    );

    app.post(
      '/api/auth/tokens',
      {
        schema: { tags: ['auth'], summary: 'Create an API token for a tool (shown once)', body: createTokenBody, response: { 201: issuedTokenSchema } },
        config: { access: 'account.manage' },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const { name, scopes, expiresInDays } = request.body;
        const issued = await inRequestTransaction(access, request, (ctx) =>
          access.tokens.issue(ctx, { userId: actor.userId, name, scopes, expiresAt: ctx.now + expiresInDays * 86_400_000 }),
        );
        return reply.code(201).send({ ...issued.view, scopes: [...issued.view.scopes], token: issued.token });
      },
    );

    app.delete(
      '/api/auth/tokens/:id',
      { schema: { tags: ['auth'], summary: 'Revoke one of my API tokens', params: idParam, response: { 200: tokenSchema } }, config: { access: 'account.manage' } },
      async (request) => {
        const actor = actorOf(request);
        return inRequestTransaction(access, request, async (ctx) => {
          const mine = await ctx.tx.selectFrom('api_tokens').select('user_id').where('id', '=', request.params.id).executeTakeFirst();
          // Someone else's token id answers exactly like an unknown one.
          const view = await access.tokens.revoke(ctx, mine && Number(mine.user_id) === actor.userId ? request.params.id : 0);
          return { ...view, scopes: [...view.scopes] };
        });
      },
    );
  };
}
