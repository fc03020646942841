import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaViewService } from '../../viewing/media-view-service.js';
import { contextOf } from '../access.js';
import { parseByteRange, sliceStream } from './byte-range.js';

const idParam = z.object({ id: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a media item id').transform(Number) });

/** A media item's facts as the viewing routes describe it (with a video's facts; null for images). */
export const mediaDescription = z.object({
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
  video: z
    .object({
      durationMs: z.number().int().nullable(),
      width: z.number().int(),
      height: z.number().int(),
      fps: z.number().nullable(),
      codec: z.string(),
      container: z.string(),
      hasAudio: z.boolean(),
      rotation: z.number().int(),
      sampleFps: z.number(),
      framesHashed: z.number().int(),
      decodedMs: z.number().int(),
      hasContactSheet: z.boolean(),
      contactSheetTimesMs: z.array(z.number()).readonly(),
    })
    .nullable()
    .describe('a video\'s facts: duration, frame size, codec, container, frames hashed; null for images'),
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
      { schema: { tags, summary: 'An item\'s facts: hashes, type, size, camera, place, first sighting', params: idParam, response: { 200: mediaDescription } }, config: { access: 'media.match' } },
      async (request) => viewer.describe(contextOf(request), request.params.id),
    );
    for (const rendition of ['thumbnail', 'preview', 'original', 'contact-sheet'] as const) {
      const redacted = rendition === 'thumbnail' || rendition === 'contact-sheet';
      app.get(
        `/api/media/:id/${rendition}`,
        {
          schema: {
            tags,
            summary:
              rendition === 'thumbnail'
                ? 'The redacted thumbnail (blurred, greyscale PNG; for a video, of the frame nearest its middle)'
                : rendition === 'contact-sheet'
                  ? 'A video\'s redacted contact sheet: 16 frames spread over the video, blurred, greyscale PNG'
                  : rendition === 'preview'
                    ? 'The unredacted preview (JPEG); the view is audited'
                    : 'The original file as stored; the download is audited. Honours one byte range (206), so `<video muted controls src>` can play and seek a video; each request is audited',
            params: idParam,
          },
          config: { access: redacted ? 'media.match' : 'media.view' },
        },
        async (request, reply) => {
          const ctx = contextOf(request);
          if (rendition === 'original') {
            const size = (await viewer.describe(ctx, request.params.id)).size;
            const range = parseByteRange(request.headers.range, size);
            if (range === null) return reply.code(416).header('content-range', `bytes */${size}`).header('cache-control', 'no-store, private').send();
            if (range) {
              const opened = await viewer.open(ctx, request.params.id, rendition, { range });
              return reply
                .code(206)
                .header('cache-control', 'no-store, private')
                .header('x-content-type-options', 'nosniff')
                .header('accept-ranges', 'bytes')
                .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
                .header('content-length', String(range.end - range.start + 1))
                .header('content-disposition', `inline; filename="${opened.sha256}"`)
                .type(opened.mime)
                .send(sliceStream(opened.stream, range.start, range.end));
            }
          }
          const opened = await viewer.open(ctx, request.params.id, rendition);
          reply
            .header('cache-control', 'no-store, private')
            .header('x-content-type-options', 'nosniff')
            .header('etag', `"${opened.sha256}"`)
            .type(opened.mime);
          if (rendition === 'original') reply.header('content-disposition', `attachment; filename="${opened.sha256}"`).header('accept-ranges', 'bytes');
          if (opened.size !== null) reply.header('content-length', String(opened.size));
          return reply.send(opened.stream);
        },
      );
    }
  };
}
