import { jobs } from './0001-jobs.js';
import { authAudit } from './0002-auth-audit.js';
import { signals } from './0003-signals.js';
import { ingest } from './0004-ingest.js';
import { cases } from './0005-cases.js';
import { exchange } from './0006-exchange.js';
import { searchTime } from './0007-search-time.js';
import { operatorImport } from './0008-operator-import.js';
import { notices } from './0009-notices.js';
import { video } from './0010-video.js';
import { connections } from './0011-connections.js';
import { web } from './0012-web.js';
import { jobQueue } from './0013-job-queue.js';
import { signalLookup } from './0014-signal-lookup.js';
import { setEntries } from './0015-set-entries.js';
import { claimOrder } from './0016-claim-order.js';
import { itemDigestIndexes } from './0017-item-digest-indexes.js';
import { inlineBlobs } from './0018-inline-blobs.js';
import type { MigrationStep } from './types.js';

/** Every migration, in order. Append only: a migration that has shipped is never edited. */
export const MIGRATIONS: readonly MigrationStep[] = [jobs, authAudit, signals, ingest, cases, exchange, searchTime, operatorImport, notices, video, connections, web, jobQueue, signalLookup, setEntries, claimOrder, itemDigestIndexes, inlineBlobs];
