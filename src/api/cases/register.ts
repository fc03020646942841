import type { FastifyInstance } from 'fastify';
import { commentRoutes } from './comment-routes.js';
import type { CasesRouteDeps } from './common.js';
import { investigationRoutes } from './investigation-routes.js';
import { mediaRoutes } from './media-routes.js';
import { notificationRoutes } from './notification-routes.js';
import { searchRoutes } from './search-routes.js';
import { seriesRoutes } from './series-routes.js';

/** Every route of investigations online (cases/ and notifications/). */
export async function registerCaseRoutes(app: FastifyInstance, deps: CasesRouteDeps): Promise<void> {
  await app.register(investigationRoutes(deps));
  await app.register(seriesRoutes(deps));
  await app.register(mediaRoutes(deps));
  await app.register(commentRoutes(deps));
  await app.register(searchRoutes(deps));
  await app.register(notificationRoutes(deps));
}
