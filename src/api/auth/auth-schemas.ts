import { z } from 'zod';
import { ROLES, SCOPES } from '../../auth/roles.js';

export const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  role: z.enum(ROLES),
  status: z.enum(['active', 'suspended']),
  countryCode: z.string(),
  agencyId: z.number().int(),
  agencyName: z.string(),
  certifiedUntil: z.number().int().nullable(),
  mustChangePassword: z.boolean(),
  totpConfirmed: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});

export const tokenSchema = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
});

export const createTokenBody = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1).max(3),
  expiresInDays: z.number().int().min(1).max(366),
});

export const issuedTokenSchema = tokenSchema.extend({ token: z.string().describe('shown once; store it in the tool, Ariadne keeps only its hash') });

/** A numeric id in a path: digits only (no traversal, no signs, no exponent). */
export const idParam = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,15}$/, 'an id is a positive whole number').transform(Number) });

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() }) });
