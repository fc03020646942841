import { PassThrough, Transform, type Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidError } from '../../core/errors.js';
import { EXCHANGE_FORMATS } from '../../exchange/entry.js';
import type { HashSetService } from '../../hashsets/hash-set-service.js';
import { contextOf } from '../access.js';

export interface HashSetRouteDeps {
  readonly hashSets: HashSetService;
  /** The largest file an import accepts, in bytes. */
  readonly maxImportBytes: number;
}

const setSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  source: z.string(),
  terms: z.string(),
  format: z.string(),
  enabled: z.boolean(),
  entryCount: z.number().int(),
  createdBy: z.number().int().nullable(),
  createdAt: z.number().int(),
});
const problemSchema = z.object({ line: z.number().int(), message: z.string() });
const reportSchema = z.object({
  set: setSchema,
  created: z.boolean(),
  imported: z.number().int(),
  duplicates: z.number().int(),
  problems: z.array(problemSchema),
  records: z.number().int(),
  resumedFrom: z.number().int(),
  alreadyImported: z.boolean(),
  fileSha256: z.string(),
  vics: z.object({ kind: z.enum(['Media', 'Cases']), version: z.string().nullable() }).optional(),
});
const idParam = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,15}$/).transform(Number) });
const format = z.enum(EXCHANGE_FORMATS);
const text = (max: number) => z.string().max(max).optional();
const CONTENT_TYPES: Record<(typeof EXCHANGE_FORMATS)[number], string> = { vics: 'application/json; charset=utf-8', icse: 'text/csv; charset=utf-8', pdq: 'text/csv; charset=utf-8' };
const EXTENSIONS: Record<(typeof EXCHANGE_FORMATS)[number], string> = { vics: 'json', icse: 'csv', pdq: 'csv' };

/** Fails the body stream once it passes `max` bytes. */
function limited(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(new InvalidError(`the file is larger than ${max} bytes`));
      else callback(null, chunk);
    },
  });
}

/**
 * Hash sets over HTTP: list (anyone who may match), import and export (VICS, ICSE, PDQ; admins), enable and disable
 * (admins). An import's body is the file itself (`application/octet-stream`); every import batch and every export
 * is audited by the service.
 */
export function hashSetRoutes(deps: HashSetRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['hashsets'];
    const { hashSets } = deps;
    // The file arrives as the raw body and is streamed to a temporary file, never buffered whole.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

    app.get(
      '/api/hashsets',
      { schema: { tags, summary: 'Hash sets with their provenance', response: { 200: z.object({ sets: z.array(setSchema) }) } }, config: { access: 'media.match' } },
      async (request) => ({ sets: await hashSets.list(contextOf(request)) }),
    );

    app.post(
      '/api/hashsets/imports/:format',
      {
        schema: {
          tags,
          summary: 'Import a VICS JSON, ICSE or PDQ file into a set (created when missing); the body is the file',
          params: z.strictObject({ format }),
          querystring: z.strictObject({ set: z.string().min(1).max(120), source: text(500), terms: text(2000) }),
          response: { 200: reportSchema },
        },
        config: { access: 'hashsets.admin' },
        bodyLimit: deps.maxImportBytes,
      },
      async (request) => {
        const body = request.body as Readable | undefined;
        if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== 'function') throw new InvalidError('send the file as the body, with content-type application/octet-stream');
        const input = body.pipe(limited(deps.maxImportBytes));
        body.on('error', (error) => input.destroy(error));
        const report = await hashSets.importStream(contextOf(request), { format: request.params.format, name: request.query.set, source: request.query.source, terms: request.query.terms, input });
        return { ...report, problems: [...report.problems] };
      },
    );

    app.get(
      '/api/hashsets/:id/export/:format',
      {
        schema: { tags, summary: 'Export a set as VICS 2.0 JSON, an ICSE semicolon export or a PDQ CSV list (streamed)', params: z.strictObject({ id: idParam.shape.id, format }) },
        config: { access: 'hashsets.admin' },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const set = await hashSets.find(request.params.id);
        const out = new PassThrough();
        const fmt = request.params.format;
        hashSets.exportSet(ctx, { format: fmt, set: set.id }, out).then(
          () => out.end(),
          (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
        );
        const file = `${set.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.${fmt}.${EXTENSIONS[fmt]}`;
        return reply.type(CONTENT_TYPES[fmt]).header('content-disposition', `attachment; filename="${file}"`).send(out);
      },
    );

    app.get(
      '/api/hashsets/investigations/:id/export/:format',
      {
        schema: {
          tags,
          summary: 'Export the media of an investigation one can see (linked items and items of linked series) as VICS 2.0, ICSE or PDQ (streamed)',
          params: z.strictObject({ id: idParam.shape.id, format }),
        },
        config: { access: 'hashsets.admin' },
      },
      async (request, reply) => {
        const fmt = request.params.format;
        const out = new PassThrough();
        // Access is checked and the export audited before the first byte is sent.
        let started: () => void = () => undefined;
        const ready = new Promise<void>((resolve) => (started = resolve));
        const body = new PassThrough();
        const exporting = hashSets.exportInvestigation(contextOf(request), { format: fmt, investigationId: request.params.id }, out);
        out.once('data', (chunk: Buffer) => {
          body.write(chunk);
          out.pipe(body);
          started();
        });
        await Promise.race([ready, exporting]);
        exporting.then(
          () => out.end(),
          (error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))),
        );
        return reply.type(CONTENT_TYPES[fmt]).header('content-disposition', `attachment; filename="investigation-${request.params.id}.${fmt}.${EXTENSIONS[fmt]}"`).send(body);
      },
    );

    app.put(
      '/api/hashsets/:id/enabled',
      {
        schema: { tags, summary: 'Enable or disable a set (a disabled set keeps its entries but never matches)', params: idParam, body: z.strictObject({ enabled: z.boolean() }), response: { 200: setSchema } },
        config: { access: 'hashsets.admin' },
      },
      async (request) => hashSets.setEnabled(contextOf(request), request.params.id, request.body.enabled),
    );
  };
}
