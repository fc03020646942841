import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AriadneError, type ErrorKind } from '../core/errors.js';

/** The one place where typed errors become HTTP answers. */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  integrity: 500,
  unavailable: 503,
  config: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const requestId = String(request.id);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const body: ErrorBody = {
        error: {
          code: 'invalid',
          message: `invalid request ${error.validationContext ?? ''}`.trim(),
          requestId,
          details: error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message })),
        },
      };
      return reply.code(400).send(body);
    }
    if (error instanceof AriadneError) {
      const status = STATUS_BY_KIND[error.kind];
      if (status >= 500) request.log.error({ err: error }, error.message);
      const exposed = status < 500 || error.kind === 'unavailable';
      const body: ErrorBody = {
        error: { code: error.kind, message: exposed ? error.message : 'internal error', requestId, ...(exposed && error.details ? { details: error.details } : {}) },
      };
      return reply.code(status).send(body);
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return reply.code(500).send({ error: { code: 'internal', message: 'internal error', requestId } } satisfies ErrorBody);
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(status).send({ error: { code: 'internal', message: 'internal error', requestId } } satisfies ErrorBody);
    }
    // Fastify's own client errors (body too large, bad JSON, unsupported media type, rate limit).
    return reply.code(status).send({ error: { code: error.code ?? 'invalid', message: error.message, requestId } } satisfies ErrorBody);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: String(request.id) } } satisfies ErrorBody);
  });
}
