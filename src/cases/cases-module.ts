import type { AccessModule } from '../auth/access-module.js';
import type { Db } from '../db/schema.js';
import type { SubmissionService } from '../ingest/submission-service.js';
import { NotificationService } from '../notifications/notification-service.js';
import { NotificationStreams } from '../notifications/notification-streams.js';
import { CaseAccess } from './case-access.js';
import { CategorisationService } from './categorisation-service.js';
import { CommentService } from './comment-service.js';
import { ConnectionService } from './connection-service.js';
import { ConsultationService } from './consultation-service.js';
import { InvestigationService } from './investigation-service.js';
import { PeopleService } from './people-service.js';
import { SearchService } from './search-service.js';
import { SeriesService } from './series-service.js';

/** Investigations online: every service of cases/ and notifications/, built once by the composition root. */
export interface CasesModule {
  readonly investigations: InvestigationService;
  readonly series: SeriesService;
  readonly people: PeopleService;
  readonly categorisation: CategorisationService;
  readonly comments: CommentService;
  readonly consultations: ConsultationService;
  readonly connections: ConnectionService;
  readonly search: SearchService;
  readonly notifications: NotificationService;
  readonly streams: NotificationStreams;
}

export function createCasesModule(options: { db: Db; access: AccessModule; submissions: SubmissionService; categoryQuorum: number; streamPollMs?: number }): CasesModule {
  const { db, access: auth } = options;
  const { policy, audit } = auth;
  const access = new CaseAccess(policy);
  const notifications = new NotificationService(policy);
  const series = new SeriesService(policy, audit);
  const investigations = new InvestigationService(policy, audit, access, options.submissions);
  return {
    investigations,
    series,
    people: new PeopleService(policy, audit, series),
    categorisation: new CategorisationService(policy, audit, options.categoryQuorum),
    comments: new CommentService(policy, audit, access, notifications),
    consultations: new ConsultationService(policy, audit, access, notifications),
    connections: new ConnectionService(policy, access),
    search: new SearchService(policy),
    notifications,
    streams: new NotificationStreams(db, notifications, { pollMs: options.streamPollMs }),
  };
}
