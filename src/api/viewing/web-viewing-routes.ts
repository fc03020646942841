import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessModule } from '../../auth/access-module.js';
import type { MatchPairService } from '../../viewing/match-pair.js';
import { LOCALES, MAX_BLUR, type ViewingPreferencesService } from '../../viewing/viewing-preferences.js';
import { contextOf, inRequestTransaction } from '../access.js';
import { mediaDescription } from './media-view-routes.js';

const id = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a media item id').transform(Number);

const preferences = z.object({
  blur: z.number().int(),
  grayscale: z.boolean(),
  muteVideos: z.boolean(),
  locale: z.enum(LOCALES).nullable(),
  updatedAt: z.number().int().nullable(),
});

const facts = mediaDescription.omit({ video: true });

const signal = z.object({
  signal: z.enum(['pdq', 'md5', 'sha1', 'sha256']),
  queryVariant: z.string(),
  storedVariant: z.string(),
  distance: z.number().int().nullable(),
  threshold: z.number().int(),
  matches: z.boolean(),
  queryQuality: z.number().int().nullable(),
  storedQuality: z.number().int().nullable(),
});

export interface WebViewingDeps {
  readonly access: AccessModule;
  readonly preferences: ViewingPreferencesService;
  readonly pairs: MatchPairService;
}

/**
 * What the web application needs beyond the material routes: the user's viewing protection (blur strength,
 * greyscale, muted videos, language), and a match seen side by side (both items' facts and every signal's distance).
 */
export function webViewingRoutes(deps: WebViewingDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/me/viewing',
      { schema: { tags: ['auth'], summary: 'My viewing protection: thumbnail blur strength, greyscale, muted videos, language', response: { 200: preferences } }, config: { access: 'account' } },
      async (request) => deps.preferences.get(contextOf(request)),
    );
    app.put(
      '/api/me/viewing',
      {
        schema: {
          tags: ['auth'],
          summary: 'Change my viewing protection (audited)',
          body: z.object({
            blur: z.number().int().min(0).max(MAX_BLUR).optional(),
            grayscale: z.boolean().optional(),
            muteVideos: z.boolean().optional(),
            locale: z.enum(LOCALES).nullable().optional(),
          }),
          response: { 200: preferences },
        },
        config: { access: 'account' },
      },
      async (request) => inRequestTransaction(deps.access, request, (ctx) => deps.preferences.update(ctx, request.body)),
    );
    app.get(
      '/api/media/:id/compare/:otherId',
      {
        schema: {
          tags: ['media'],
          summary: 'A match side by side: facts of both items and the distance of every signal they share',
          params: z.object({ id, otherId: id }),
          response: { 200: z.object({ query: facts, stored: facts, signals: z.array(signal), matchedBy: signal.nullable() }) },
        },
        config: { access: 'media.match' },
      },
      async (request) => deps.pairs.compare(contextOf(request), request.params.id, request.params.otherId),
    );
  };
}
