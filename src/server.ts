import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { AriadneConfig } from './config.js';
import { createContainer, type Container, type Role } from './container.js';
import type { JobHandlers } from './jobs/job-runner.js';
import { createLogger } from './logger.js';
import { videoFileHasher } from './video/video-file-hasher.js';
import { findWebRoot } from './api/web/web-app-routes.js';

export interface RunningAriadne {
  readonly container: Container;
  /** Absent for the `worker` role, which serves no HTTP. */
  readonly app: FastifyInstance | undefined;
  /** The address HTTP listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string | undefined;
  /** Graceful stop: no new requests or jobs, in-flight requests and jobs finish (up to the timeout), then close. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly role: Role;
  /** Job handlers beyond the built-in ones (extensions and test fixtures). */
  readonly registerJobs?: (handlers: JobHandlers) => void;
}

/** Starts Ariadne in this process: the composition root, then HTTP and the job runner according to the role. */
export async function startAriadne(config: AriadneConfig, options: StartOptions): Promise<RunningAriadne> {
  const logger = createLogger(config.logLevel);
  const container = await createContainer(config, { role: options.role, logger });
  let app: FastifyInstance | undefined;
  let url: string | undefined;
  try {
    options.registerJobs?.(container.jobHandlers);
    if (options.role !== 'worker') {
      // The indexes load (or build) before the first request is accepted.
      await container.catalog();
      app = await buildContainerApp(container);
      await app.listen({ host: config.http.host, port: config.http.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.http.port;
      const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
      url = `${config.http.tls ? 'https' : 'http'}://${host}:${port}`;
      if (!config.http.tls && !isLoopback(config.http.host)) {
        logger.warn({ host: config.http.host }, 'serving plain HTTP on a non-loopback address: set ARIADNE_TLS_CERT and ARIADNE_TLS_KEY, or put a TLS proxy in front');
      }
    }
    container.start();
    logger.info({ role: options.role, url, version: container.version, dataDir: config.dataDir }, 'Ariadne started');
  } catch (error) {
    await app?.close().catch(() => undefined);
    await container.close().catch(() => undefined);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    container,
    app,
    url,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: finishing in-flight requests and jobs');
        await app?.close();
        await container.close();
        logger.info('stopped');
        logger.flush();
      })();
      return stopping;
    },
  };
}

/** The HTTP application over everything the container provides: every route the product has. */
export function buildContainerApp(container: Container): Promise<FastifyInstance> {
  const { config, logger } = container;
  return buildApp({
    config,
    logger,
    health: container.health,
    version: container.version,
    access: container.access,
    viewer: container.viewer,
    submissions: { submissions: container.submissions, reports: container.reports, maxFilesPerRequest: 1000, maxUploadBytes: config.http.maxUploadBytes },
    uploads: { uploads: container.uploads },
    jobs: container.jobAdmin,
    hashSets: { hashSets: container.hashSets, maxImportBytes: config.http.maxUploadBytes },
    cases: container.cases,
    notices: container.notices,
    operations: container.operations,
    statistics: container.statistics,
    webViewing: { preferences: container.viewingPreferences, pairs: container.matchPairs },
    connect: container.connect,
    webRoot: findWebRoot(),
    match: {
      matching: container.matching,
      hashFile: (path) => container.hashPool().hashFile(path, { dihedral: true }),
      tmpDir: join(config.dataDir, 'tmp'),
      maxUploadBytes: config.http.maxUploadBytes,
      ...(container.ffmpeg ? { video: { hash: videoFileHasher(container.ffmpeg, config.video.sampleFps), matching: container.videoMatching } } : {}),
    },
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
