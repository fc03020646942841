import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidError } from '../../core/errors.js';
import { formatUploadMetadata, parseUploadMetadata } from '../../uploads/tus-metadata.js';
import type { UploadService, UploadView } from '../../uploads/upload-service.js';
import { UPLOAD_ID } from '../../uploads/upload-store.js';
import { contextOf } from '../access.js';

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = ['creation', 'termination', 'expiration'] as const;
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream';
export const UPLOADS_PATH = '/api/uploads';

/** A request the tus protocol refuses with its own status: 412 (unsupported Tus-Resumable), 415 (wrong body type). */
export class TusProtocolError extends Error {
  constructor(
    readonly statusCode: 412 | 415,
    readonly code: 'tus_version' | 'unsupported_media_type',
    message: string,
  ) {
    super(message);
    this.name = 'TusProtocolError';
  }
}

export interface UploadRouteDeps {
  readonly uploads: UploadService;
}

const params = z.object({ id: z.string().regex(UPLOAD_ID, 'an upload id') });
const byteCount = z.string().regex(/^[0-9]{1,16}$/, 'a whole number of bytes');

/**
 * Resumable uploads over tus 1.0.0 (https://tus.io/protocols/resumable-upload) with the creation, termination and
 * expiration extensions: POST creates an upload into a submission (Upload-Metadata `submissionId` and `filename`),
 * PATCH appends at Upload-Offset, HEAD tells the offset, DELETE terminates, OPTIONS describes the server. Every
 * route needs `media.upload`; tus clients authenticate with an API token (Authorization: Bearer) or, in a browser,
 * the session cookie plus the x-csrf-token header. The bytes are sealed on arrival (src/uploads).
 */
export function uploadRoutes(deps: UploadRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['uploads'];
    const { uploads } = deps;

    // PATCH bodies are streamed to the sealer as they arrive, never buffered; the service enforces the length.
    app.addContentTypeParser(TUS_CONTENT_TYPE, (_request, payload, done) => done(null, payload));
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('tus-resumable', TUS_VERSION);
      return payload;
    });
    app.addHook('preHandler', async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      if (request.headers['tus-resumable'] !== TUS_VERSION) {
        reply.header('tus-version', TUS_VERSION);
        throw new TusProtocolError(412, 'tus_version', `send the header Tus-Resumable: ${TUS_VERSION}`);
      }
    });

    app.options(
      UPLOADS_PATH,
      { schema: { tags, summary: 'tus: protocol version, extensions and the largest upload' }, config: { access: 'media.upload' } },
      async (_request, reply) =>
        reply.code(204).header('tus-version', TUS_VERSION).header('tus-extension', TUS_EXTENSIONS.join(',')).header('tus-max-size', String(uploads.maxSize)).send(),
    );

    app.post(
      UPLOADS_PATH,
      {
        schema: {
          tags,
          summary: 'tus: create a resumable upload into a submission',
          description:
            '`Upload-Length` (bytes) and `Upload-Metadata` with `submissionId` and `filename` (the file\'s path in the seizure; optional `mtime`, epoch ms). ' +
            'Answers 201 with `Location` (the upload\'s URL) and `Upload-Expires`; 413 above `Tus-Max-Size`.',
          headers: z.looseObject({ 'upload-length': byteCount.optional(), 'upload-metadata': z.string().max(8192).optional() }),
        },
        config: { access: 'media.upload' },
      },
      async (request, reply) => {
        if (request.headers['upload-defer-length'] !== undefined) throw new InvalidError('Upload-Defer-Length is not supported: send Upload-Length');
        const lengthHeader = request.headers['upload-length'];
        if (lengthHeader === undefined) throw new InvalidError('send Upload-Length');
        if (request.headers['content-type'] === TUS_CONTENT_TYPE && Number(request.headers['content-length'] ?? 0) > 0) {
          throw new InvalidError('creation-with-upload is not supported: create the upload, then PATCH its bytes');
        }
        const created = await uploads.create(contextOf(request), { length: Number(lengthHeader), metadata: parseUploadMetadata(request.headers['upload-metadata']) });
        return describe(reply.code(201).header('location', `${UPLOADS_PATH}/${created.id}`), created).send();
      },
    );

    app.head(
      `${UPLOADS_PATH}/:id`,
      { schema: { tags, summary: 'tus: how many bytes of the upload the server holds (Upload-Offset)', params }, config: { access: 'media.upload' } },
      async (request, reply) => {
        const upload = await uploads.status(contextOf(request), request.params.id);
        describe(reply.code(200).header('upload-length', String(upload.length)), upload);
        if (Object.keys(upload.metadata).length > 0) reply.header('upload-metadata', formatUploadMetadata(upload.metadata));
        return reply.send();
      },
    );

    app.patch(
      `${UPLOADS_PATH}/:id`,
      {
        schema: {
          tags,
          summary: 'tus: append bytes at Upload-Offset',
          description:
            `Body \`${TUS_CONTENT_TYPE}\`; \`Upload-Offset\` must equal the upload's offset (409 otherwise: ask HEAD). ` +
            'Answers 204 with the new `Upload-Offset`; the PATCH that completes the upload hands the file to its submission and also answers `X-Ariadne-File-Id`.',
          params,
          headers: z.looseObject({ 'upload-offset': byteCount.optional() }),
        },
        config: { access: 'media.upload' },
      },
      async (request, reply) => {
        if (request.headers['content-type']?.split(';')[0].trim().toLowerCase() !== TUS_CONTENT_TYPE) {
          throw new TusProtocolError(415, 'unsupported_media_type', `a PATCH body is ${TUS_CONTENT_TYPE}`);
        }
        const offsetHeader = request.headers['upload-offset'];
        if (offsetHeader === undefined) throw new InvalidError('send Upload-Offset');
        const lengthHeader = request.headers['content-length'];
        const contentLength = typeof lengthHeader === 'string' && /^[0-9]{1,16}$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        const upload = await uploads.append(contextOf(request), request.params.id, Number(offsetHeader), request.body as Readable, contentLength);
        if (upload.file) reply.header('x-ariadne-file-id', String(upload.file.fileId));
        return describe(reply.code(204), upload).send();
      },
    );

    app.delete(
      `${UPLOADS_PATH}/:id`,
      { schema: { tags, summary: 'tus: terminate the upload and delete what it received', params }, config: { access: 'media.upload' } },
      async (request, reply) => {
        await uploads.terminate(contextOf(request), request.params.id);
        return reply.code(204).send();
      },
    );
  };
}

/** Upload-Offset, and Upload-Expires while the upload is unfinished. */
function describe(reply: FastifyReply, upload: UploadView): FastifyReply {
  reply.header('upload-offset', String(upload.offset));
  if (!upload.file) reply.header('upload-expires', new Date(upload.expiresAt).toUTCString());
  return reply;
}
