import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccessModule } from '../auth/access-module.js';
import type { AriadneConfig } from '../config.js';
import { registerAccessControl } from './access.js';
import { adminRoutes } from './admin/admin-routes.js';
import { jobRoutes } from './admin/jobs-routes.js';
import type { JobAdmin } from '../jobs/job-admin.js';
import { auditRoutes } from './audit/audit-routes.js';
import { authRoutes } from './auth/auth-routes.js';
import { registerErrorHandler } from './error-handler.js';
import type { CasesModule } from '../cases/cases-module.js';
import { registerCaseRoutes } from './cases/register.js';
import { noticeRoutes } from './notices/notice-routes.js';
import { operationRoutes } from './operations/operation-routes.js';
import { statisticsRoutes } from './statistics/statistics-routes.js';
import type { NoticesModule } from '../notices/notices-module.js';
import type { OperationsModule } from '../operations/operations-module.js';
import type { StatisticsService } from '../statistics/statistics-service.js';
import type { ConnectModule } from '../connect/connect-module.js';
import { connectRoutes } from './connect/connect-routes.js';
import { matchRoutes, type MatchRouteDeps } from './match/match-routes.js';
import { mediaViewRoutes } from './viewing/media-view-routes.js';
import type { MediaViewService } from '../viewing/media-view-service.js';
import { submissionRoutes, type SubmissionRouteDeps } from './submissions/submission-routes.js';
import { uploadRoutes, type UploadRouteDeps } from './uploads/upload-routes.js';
import multipart from '@fastify/multipart';
import { healthRoutes } from './health/health-routes.js';
import { hashSetRoutes, type HashSetRouteDeps } from './hashsets/hashset-routes.js';
import type { HealthService } from './health/health-service.js';
import { webViewingRoutes, type WebViewingDeps } from './viewing/web-viewing-routes.js';
import { registerWebApp } from './web/web-app-routes.js';

export interface AppDeps {
  readonly config: AriadneConfig;
  readonly logger: FastifyBaseLogger;
  readonly health: HealthService;
  readonly version: string;
  /**
   * Authentication, access policy and audit (container.access). Without it nobody can sign in and every route
   * except the public ones answers 401: the app fails closed.
   */
  readonly access?: AccessModule;
  /** Matching (POST /api/match); absent in apps built without the indexes. */
  readonly match?: MatchRouteDeps;
  /** Viewing stored material (facts, redacted thumbnail; audited preview and original). */
  readonly viewer?: MediaViewService;
  /** Submissions and triage reports; absent in apps built without ingest. */
  readonly submissions?: SubmissionRouteDeps;
  /** Investigations, series, people, categorisation, comments, consultations, connections, search, notifications. */
  readonly cases?: CasesModule;
  /** Resumable (tus) uploads into submissions; absent in apps built without ingest. */
  readonly uploads?: UploadRouteDeps;
  /** The job queue for global admins (dead jobs, retries); absent in apps built without it. */
  readonly jobs?: JobAdmin;
  /** Hash sets: list, import and export (VICS, ICSE, PDQ), enable/disable; absent in apps built without them. */
  readonly hashSets?: HashSetRouteDeps;
  /** Green and Yellow Notices (needs multipart, registered with submissions). */
  readonly notices?: NoticesModule;
  /** Joint operations. */
  readonly operations?: OperationsModule;
  /** Statistics per country and month. */
  readonly statistics?: StatisticsService;
  /** The web application's viewing preferences and side-by-side match view. */
  readonly webViewing?: Omit<WebViewingDeps, 'access'>;
  /** Faces, scenes and the merged connections view (connect/). */
  readonly connect?: ConnectModule;
  /** The built single-page application (dist/web) served outside /api; absent: not served. */
  readonly webRoot?: string | null;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the Fastify application: request ids, security headers, zod validation, OpenAPI, error mapping, routes.
 * It does not listen; `serve` does, so tests can use `app.inject`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const tls = config.http.tls;
  const https = tls
    ? {
        key: readFileSync(tls.keyPath),
        cert: readFileSync(tls.certPath),
        // Mutual TLS: the handshake fails for a client without a certificate signed by the configured CA.
        ...(tls.clientCaPath ? { ca: readFileSync(tls.clientCaPath), requestCert: true, rejectUnauthorized: true } : {}),
      }
    : null;
  const app = Fastify({
    loggerInstance: deps.logger,
    ...(https ? { https } : {}),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: false,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdLogLabel: 'requestId',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    hsts: config.http.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  // Before any route: every route must declare its access, and the check runs first on every request.
  await registerAccessControl(app, { access: deps.access, loginRatePerMinute: config.auth.loginRatePerMinute });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ariadne API',
        version: deps.version,
        description: 'Shared database for victim identification: hash matching, investigations, notices.',
      },
      tags: [
        { name: 'system', description: 'Health and service information' },
        { name: 'auth', description: 'Sign-in, sessions, one\'s own account and API tokens' },
        { name: 'admin', description: 'Countries, agencies, users, certification' },
        { name: 'audit', description: 'The hash-chained audit trail and statistics' },
        { name: 'matching', description: 'Exact and perceptual matching against everything stored' },
        { name: 'media', description: 'Stored items: facts, redacted thumbnails, audited previews and originals' },
        { name: 'submissions', description: 'Uploads of seized material and their triage reports' },
        { name: 'investigations', description: 'Investigations: members, sharing, linked material' },
        { name: 'series', description: 'Series of material of one victim or abuse context' },
        { name: 'people', description: 'Victims and offenders' },
        { name: 'categorisation', description: 'VICS categorisation by agreement' },
        { name: 'comments', description: 'Threaded comments inside investigations' },
        { name: 'consultations', description: 'Questions to colleagues, agencies and countries' },
        { name: 'connections', description: 'Items linked by camera, time and place' },
        { name: 'search', description: 'Search across what the caller may see' },
        { name: 'notifications', description: 'In-app notifications and their live stream' },
        { name: 'uploads', description: 'Resumable uploads of large files (tus 1.0.0) into submissions' },
        { name: 'hashsets', description: 'Shared hash sets: VICS, ICSE and PDQ lists in and out' },
      ],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: '__Host-ariadne_session', description: 'from POST /api/auth/login; unsafe methods also need the x-csrf-token header' },
          token: { type: 'http', scheme: 'bearer', description: 'an API token (ariadne_…)' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: false } });

  registerErrorHandler(app);
  await app.register(healthRoutes(deps.health));
  if (deps.access) {
    await app.register(authRoutes(deps.access, { loginRatePerMinute: config.auth.loginRatePerMinute }));
    await app.register(adminRoutes(deps.access));
    if (deps.jobs) await app.register(jobRoutes({ access: deps.access, jobs: deps.jobs }));
    await app.register(auditRoutes(deps.access));
  }
  if (deps.match || deps.submissions || deps.notices) {
    // Multipart bodies are read by the routes that accept files, each with its own limits.
    // preservePath: a file's name may carry its folders (DCIM/100/a.jpg); submissions record and sanitise it.
    await app.register(multipart, { preservePath: true, limits: { fileSize: config.http.maxUploadBytes, fields: 16, headerPairs: 100 } });
  }
  if (deps.match) await app.register(matchRoutes(deps.match));
  if (deps.viewer) await app.register(mediaViewRoutes(deps.viewer));
  if (deps.submissions) await app.register(submissionRoutes(deps.submissions));
  if (deps.access && deps.cases) await registerCaseRoutes(app, { access: deps.access, cases: deps.cases });
  if (deps.uploads) await app.register(uploadRoutes(deps.uploads));
  if (deps.hashSets) await app.register(hashSetRoutes(deps.hashSets));
  if (deps.access && deps.notices) await app.register(noticeRoutes({ access: deps.access, notices: deps.notices, maxUploadBytes: config.http.maxUploadBytes }));
  if (deps.access && deps.operations) await app.register(operationRoutes({ access: deps.access, operations: deps.operations }));
  if (deps.access && deps.statistics) await app.register(statisticsRoutes({ access: deps.access, statistics: deps.statistics }));
  if (deps.access && deps.webViewing) await app.register(webViewingRoutes({ access: deps.access, ...deps.webViewing }));
  if (deps.access && deps.connect) await app.register(connectRoutes({ access: deps.access, connect: deps.connect, maxPhotoBytes: Math.min(config.http.maxUploadBytes, 64 * 1024 * 1024) }));
  if (deps.webRoot) await registerWebApp(app, deps.webRoot);

  // Public by decision: the document describes the API and holds no data (see docs/ARCHITECTURE.md).
  app.get('/api/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
  return app;
}
