import type { AccessModule } from '../auth/access-module.js';
import type { CasesModule } from '../cases/cases-module.js';
import type { Db, Tx } from '../db/schema.js';
import type { SubmissionService } from '../ingest/submission-service.js';
import { NoticeAccess } from './notice-access.js';
import { NoticeConnections } from './notice-connections.js';
import { NoticeLifecycle } from './notice-lifecycle.js';
import { NoticePhotos } from './notice-photos.js';
import { NoticeService } from './notice-service.js';

/** Green and Yellow Notices: every service of notices/, built once by the composition root. */
export interface NoticesModule {
  readonly notices: NoticeService;
  readonly lifecycle: NoticeLifecycle;
  readonly photos: NoticePhotos;
  /** For connection code (faces, scenes): `connections.report(tx, {noticeId, mediaId, victimId, kind, score})`. */
  readonly connections: NoticeConnections;
}

export function createNoticesModule(options: { db: Db; access: AccessModule; cases: CasesModule; submissions: SubmissionService; afterPublish?: (tx: Tx, notice: { id: number; kind: string }) => Promise<void> }): NoticesModule {
  const { policy, audit } = options.access;
  const access = new NoticeAccess(policy, audit);
  const notices = new NoticeService(policy, access, options.cases);
  return {
    notices,
    lifecycle: new NoticeLifecycle(policy, access, notices, options.cases.notifications, options.afterPublish),
    photos: new NoticePhotos(options.db, policy, access, options.submissions),
    connections: new NoticeConnections(audit, options.cases.notifications),
  };
}
