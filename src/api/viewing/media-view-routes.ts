import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaViewService } from '../../viewing/media-view-service.js';
import { contextOf } from '../access.js';

const idParam = z.object({ id: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a media item id').transform(Number) });

const description = z.object({
  id: z.number().int(),
  sha256: z.string(),
  sha1: z.string(),
  md5: z.string(),
  size: z.number().int(),
  mime: z.string(),
  kind: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  firstSeenAt: z.number().int().nullable(),
  firstCountry: z.string().nullable(),
  camera: z.object({ make: z.string().nullable(), model: z.string().nullable(), serial: z.string().nullable() }),
  gps: z.object({ latitude: z.number(), longitude: z.number() }).nullable(),
  takenAt: z.string().nullable(),
  hasThumbnail: z.boolean(),
  hasPreview: z.boolean(),
});

/**
 * Stored material: facts and the redacted thumbnail for every certified investigator; the unredacted preview and
 * the original only on deliberate request, each view or download audited first. Responses are never cached.
 */
export function mediaViewRoutes(viewer: MediaViewService): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['media'];
    app.get(
      '/api/media/:id',
      { schema: { tags, summary: 'An item\'s facts: hashes, type, size, camera, place, first sighting', params: idParam, response: { 200: description } }, config: { access: 'media.match' } },
      async (request) => viewer.describe(contextOf(request), request.params.id),
    );
    for (const rendition of ['thumbnail', 'preview', 'original'] as const) {
      app.get(
        `/api/media/:id/${rendition}`,
        {
          schema: {
            tags,
            summary:
              rendition === 'thumbnail'
                ? 'The redacted thumbnail (blurred, greyscale PNG)'
                : rendition === 'preview'
                  ? 'The unredacted preview (JPEG); the view is audited'
                  : 'The original file as stored; the download is audited',
            params: idParam,
          },
          config: { access: rendition === 'thumbnail' ? 'media.match' : 'media.view' },
        },
        async (request, reply) => {
          const opened = await viewer.open(contextOf(request), request.params.id, rendition);
          reply
            .header('cache-control', 'no-store, private')
            .header('x-content-type-options', 'nosniff')
            .header('etag', `"${opened.sha256}"`)
            .type(opened.mime);
          if (rendition === 'original') reply.header('content-disposition', `attachment; filename="${opened.sha256}"`);
          if (opened.size !== null) reply.header('content-length', String(opened.size));
          return reply.send(opened.stream);
        },
      );
    }
  };
}
