import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TxContext } from '../../auth/actor.js';
import type { AccessModule } from '../../auth/access-module.js';
import type { CasesModule } from '../../cases/cases-module.js';
import { inRequestTransaction } from '../access.js';

export interface CasesRouteDeps {
  readonly access: AccessModule;
  readonly cases: CasesModule;
}

/** A positive integer id in a path or query (no signs, exponents, hex or traversal). */
export const idString = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a positive whole number').transform(Number);
export const idParam = z.object({ id: idString });
export const id = z.number().int().positive();
export const statusSchema = z.enum(['unidentified', 'identified', 'safeguarded']);
export const time = z.number().int();

/** A media item connected to another by metadata (same camera, same model near in time, nearby by GPS). */
export const connected = z.object({
  mediaId: z.number().int(),
  cameraMake: z.string().nullable(),
  cameraModel: z.string().nullable(),
  cameraSerial: z.string().nullable(),
  takenAt: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  minutesApart: z.number().optional(),
  distanceKm: z.number().optional(),
});

/** How far metadata connections reach: minutes apart, kilometres apart, most returned. */
export const connectionQuery = z.strictObject({
  windowMinutes: z.coerce.number().min(0).max(10080).optional(),
  radiusKm: z.coerce.number().min(0).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** Runs a service call in the request's transaction (reads too: SQLite has one connection). */
export function run<T>(deps: CasesRouteDeps, request: FastifyRequest, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  return inRequestTransaction(deps.access, request, fn);
}
