import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import { ROLES } from '../../auth/roles.js';
import type { IssuedCredentials } from '../../auth/user-admin.js';
import { inRequestTransaction } from '../access.js';
import { createTokenBody, idParam, issuedTokenSchema, tokenSchema, userSchema } from '../auth/auth-schemas.js';

const countryCode = z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 code').transform((s) => s.toUpperCase());
const countrySchema = z.object({ code: z.string(), name: z.string(), createdAt: z.number().int() });
const agencySchema = z.object({ id: z.number().int(), countryCode: z.string(), name: z.string(), createdAt: z.number().int() });
const credentialsSchema = z.object({
  user: userSchema,
  oneTimePassword: z.string().describe('shown once; the user changes it at first sign-in'),
  totpSecret: z.string().describe('shown once; base32 secret for the authenticator app'),
  totpUri: z.string().describe('otpauth:// URI of the same secret (for a QR code)'),
});
const numericQuery = z.string().regex(/^[1-9][0-9]{0,15}$/).transform(Number);

function credentials(issued: IssuedCredentials) {
  return { user: issued.user, oneTimePassword: issued.oneTimePassword, totpSecret: issued.totpSecret, totpUri: issued.totpUri };
}

/** Countries, agencies, users and their tokens: global admins everywhere, country admins in their own country. */
export function adminRoutes(access: AccessModule): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['admin'];
    const { users, tokens } = access;

    app.get(
      '/api/admin/countries',
      { schema: { tags, summary: 'Member countries', response: { 200: z.object({ countries: z.array(countrySchema) }) } }, config: { access: 'users.admin' } },
      async (request) => ({ countries: await inRequestTransaction(access, request, (ctx) => users.listCountries(ctx)) }),
    );

    app.post(
      '/api/admin/countries',
      {
        schema: { tags, summary: 'Add a member country', body: z.strictObject({ code: countryCode, name: z.string().min(1).max(100).optional() }), response: { 201: countrySchema } },
        config: { access: 'countries.admin' },
      },
      async (request, reply) => reply.code(201).send(await inRequestTransaction(access, request, (ctx) => users.addCountry(ctx, request.body))),
    );

    app.get(
      '/api/admin/agencies',
      {
        schema: { tags, summary: 'Agencies I administer', querystring: z.strictObject({ country: countryCode.optional() }), response: { 200: z.object({ agencies: z.array(agencySchema) }) } },
        config: { access: 'users.admin' },
      },
      async (request) => ({ agencies: await inRequestTransaction(access, request, (ctx) => users.listAgencies(ctx, request.query)) }),
    );

    app.post(
      '/api/admin/agencies',
      {
        schema: { tags, summary: 'Add an agency to a country', body: z.strictObject({ country: countryCode, name: z.string().min(2).max(120) }), response: { 201: agencySchema } },
        config: { access: 'users.admin' },
      },
      async (request, reply) => reply.code(201).send(await inRequestTransaction(access, request, (ctx) => users.addAgency(ctx, request.body))),
    );

    app.get(
      '/api/admin/users',
      {
        schema: {
          tags,
          summary: 'Users I administer',
          querystring: z.strictObject({ country: countryCode.optional(), agencyId: numericQuery.optional() }),
          response: { 200: z.object({ users: z.array(userSchema) }) },
        },
        config: { access: 'users.admin' },
      },
      async (request) => ({ users: await inRequestTransaction(access, request, (ctx) => users.listUsers(ctx, request.query)) }),
    );

    app.post(
      '/api/admin/users',
      {
        schema: {
          tags,
          summary: 'Create a user (answers a one-time password and an authenticator secret, once)',
          body: z.strictObject({
            username: z.string().min(3).max(64),
            agencyId: z.number().int().positive(),
            role: z.enum(ROLES),
            certifiedUntil: z.number().int().positive().nullable().optional(),
          }),
          response: { 201: credentialsSchema },
        },
        config: { access: 'users.admin' },
      },
      async (request, reply) => reply.code(201).send(credentials(await inRequestTransaction(access, request, (ctx) => users.createUser(ctx, request.body)))),
    );

    app.get(
      '/api/admin/users/:id',
      { schema: { tags, summary: 'One user', params: idParam, response: { 200: userSchema } }, config: { access: 'users.admin' } },
      async (request) => inRequestTransaction(access, request, (ctx) => users.getUser(ctx, request.params.id)),
    );

    app.post(
      '/api/admin/users/:id/certify',
      {
        schema: {
          tags,
          summary: 'Certify a user to see material until a time (epoch ms), or withdraw certification with null',
          params: idParam,
          body: z.strictObject({ until: z.number().int().positive().nullable() }),
          response: { 200: userSchema },
        },
        config: { access: 'users.admin' },
      },
      async (request) => inRequestTransaction(access, request, (ctx) => users.certify(ctx, { userId: request.params.id, until: request.body.until })),
    );

    app.post(
      '/api/admin/users/:id/suspend',
      { schema: { tags, summary: 'Suspend a user (ends its sessions, stops its tokens)', params: idParam, response: { 200: userSchema } }, config: { access: 'users.admin' } },
      async (request) => inRequestTransaction(access, request, (ctx) => users.suspend(ctx, { userId: request.params.id })),
    );

    app.post(
      '/api/admin/users/:id/reinstate',
      { schema: { tags, summary: 'Lift a suspension', params: idParam, response: { 200: userSchema } }, config: { access: 'users.admin' } },
      async (request) => inRequestTransaction(access, request, (ctx) => users.reinstate(ctx, { userId: request.params.id })),
    );

    app.post(
      '/api/admin/users/:id/reset',
      {
        schema: { tags, summary: 'New one-time password and authenticator; ends sessions, revokes tokens and recovery codes', params: idParam, response: { 200: credentialsSchema } },
        config: { access: 'users.admin' },
      },
      async (request) => credentials(await inRequestTransaction(access, request, (ctx) => users.reset(ctx, { userId: request.params.id }))),
    );

    app.get(
      '/api/admin/users/:id/tokens',
      { schema: { tags, summary: 'A user\'s API tokens', params: idParam, response: { 200: z.object({ tokens: z.array(tokenSchema) }) } }, config: { access: 'users.admin' } },
      async (request) => ({ tokens: (await inRequestTransaction(access, request, (ctx) => tokens.list(ctx, request.params.id))).map((t) => ({ ...t, scopes: [...t.scopes] })) }),
    );

    app.post(
      '/api/admin/users/:id/tokens',
      { schema: { tags, summary: 'Create an API token for a user (shown once)', params: idParam, body: createTokenBody, response: { 201: issuedTokenSchema } }, config: { access: 'users.admin' } },
      async (request, reply) => {
        const { name, scopes, expiresInDays } = request.body;
        const issued = await inRequestTransaction(access, request, (ctx) =>
          tokens.issue(ctx, { userId: request.params.id, name, scopes, expiresAt: ctx.now + expiresInDays * 86_400_000 }),
        );
        return reply.code(201).send({ ...issued.view, scopes: [...issued.view.scopes], token: issued.token });
      },
    );

    app.delete(
      '/api/admin/tokens/:id',
      { schema: { tags, summary: 'Revoke an API token of a user I administer', params: idParam, response: { 200: tokenSchema } }, config: { access: 'users.admin' } },
      async (request) => {
        const view = await inRequestTransaction(access, request, (ctx) => tokens.revoke(ctx, request.params.id));
        return { ...view, scopes: [...view.scopes] };
      },
    );
  };
}
