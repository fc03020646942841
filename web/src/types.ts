/** The API's answers, as the application uses them (see /api/openapi.json). */
export type Role = 'investigator' | 'country_admin' | 'global_admin' | 'auditor';

export interface User {
  id: number;
  username: string;
  role: Role;
  status: 'active' | 'suspended';
  countryCode: string;
  agencyId: number;
  agencyName: string;
  certifiedUntil: number | null;
  mustChangePassword: boolean;
  totpConfirmed: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Me {
  user: User;
  certified: boolean;
  restricted: boolean;
  via: 'session' | 'token';
  csrfToken?: string;
  permissions: string[];
}

export interface ViewingPreferences {
  blur: number;
  grayscale: boolean;
  muteVideos: boolean;
  locale: 'en' | 'fr' | 'es' | null;
  updatedAt: number | null;
}

export interface Submission {
  id: number;
  userId: number | null;
  countryCode: string | null;
  actorName: string;
  reference: string;
  device: string;
  notes: string;
  status: 'open' | 'sealed' | 'complete';
  createdAt: number;
  sealedAt: number | null;
  completedAt: number | null;
}

export type VictimStatus = 'unidentified' | 'identified' | 'safeguarded';

export interface ReportHit {
  signal: 'pdq' | 'md5' | 'sha1' | 'sha256';
  distance: number;
  source: 'set' | 'media';
  set: string | null;
  label: string | null;
  item: { id: number; sha256: string; firstSeenAt: number | null; countries: string[] } | null;
  series: Array<{ id: number; name: string; identificationStatus: VictimStatus }>;
  category: number | null;
  baseline: boolean | null;
  victimStatus: VictimStatus | null;
}

export interface ReportItem {
  mediaId: number;
  sha256: string;
  kind: string;
  mime: string;
  status: 'known' | 'new';
  paths: string[];
  seenBefore: { submissions: number; countries: string[]; firstSeenAt: number | null };
  hits: ReportHit[];
  assessment: { series: ReportHit['series']; category: number | null; baseline: boolean | null; victimStatus: VictimStatus | null } | null;
}

export interface SubmissionReport {
  submission: Submission;
  generatedAt: number;
  totals: { files: number; pending: number; processed: number; errors: number; uniqueItems: number; known: number; new: number; duplicates: number; containers: number };
  items: ReportItem[];
  files: Array<{ path: string; status: 'pending' | 'done' | 'error'; mediaId: number | null; sha256: string | null; mime: string | null; error: string | null }>;
}

export interface MediaFacts {
  id: number;
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  mime: string;
  kind: string;
  width: number | null;
  height: number | null;
  firstSeenAt: number | null;
  firstCountry: string | null;
  camera: { make: string | null; model: string | null; serial: string | null };
  gps: { latitude: number; longitude: number } | null;
  takenAt: string | null;
  hasThumbnail: boolean;
  hasPreview: boolean;
}

export interface PairSignal {
  signal: 'pdq' | 'md5' | 'sha1' | 'sha256';
  queryVariant: string;
  storedVariant: string;
  distance: number | null;
  threshold: number;
  matches: boolean;
  queryQuality: number | null;
  storedQuality: number | null;
}

export interface MatchPair {
  query: MediaFacts;
  stored: MediaFacts;
  signals: PairSignal[];
  matchedBy: PairSignal | null;
}

export interface Categorisation {
  mediaId: number;
  category: number | null;
  baseline: boolean | null;
  settledAt: number | null;
  quorum: number;
  disputed: boolean;
  tally: Array<{ category: number; baseline: boolean; votes: number }>;
  history: Array<{ userId: number; username: string; countryCode: string; category: number; baseline: boolean; at: number; supersededAt: number | null }>;
}

export interface InvestigationSummary {
  id: number;
  title: string;
  reference: string;
  agencyId: number;
  countryCode: string;
  status: 'open' | 'closed' | 'archived';
  createdAt: number;
  updatedAt: number;
}

export interface Investigation extends InvestigationSummary {
  myRole: 'lead' | 'member' | 'viewer' | null;
  members: Array<{ userId: number; username: string; countryCode: string; role: 'lead' | 'member' | 'viewer' }>;
  shares: Array<{ id: number; agencyId: number | null; countryCode: string | null }>;
  links: Array<{ id: number; kind: 'submission' | 'media' | 'series' | 'person' | 'location' | 'tag'; targetId: number | null; label: string | null; lat: number | null; lon: number | null }>;
}

export interface Comment {
  id: number;
  investigationId: number;
  targetType: 'investigation' | 'series' | 'media';
  targetId: number;
  parentId: number | null;
  authorId: number;
  author: string;
  body: string | null;
  mentions: string[];
  createdAt: number;
  updatedAt: number;
  edited: boolean;
  deleted: boolean;
}

export interface Consultation {
  id: number;
  investigationId: number | null;
  mediaId: number | null;
  askedBy: number;
  askerCountry: string;
  to: { userId: number | null; agencyId: number | null; countryCode: string | null };
  question: string;
  status: 'open' | 'answered' | 'closed';
  answer: string | null;
  answeredBy: number | null;
  createdAt: number;
  answeredAt: number | null;
  closedAt: number | null;
  responseTimeMs: number | null;
  mine: 'asker' | 'asked';
}

export interface SeriesSummary {
  id: number;
  name: string;
  identificationStatus: VictimStatus;
  agencyId: number;
  countryCode: string;
  countries: string[];
  items: number;
  updatedAt: number;
}

export interface Series extends SeriesSummary {
  detail: { description: string; mediaIds: number[]; people: Array<{ id: number; kind: 'victim' | 'offender'; label: string; status: VictimStatus }> } | null;
  canEdit: boolean;
}

export interface Person {
  id: number;
  kind: 'victim' | 'offender';
  label: string;
  agencyId: number;
  countryCode: string;
  ageMin: number | null;
  ageMax: number | null;
  sex: 'female' | 'male' | 'unknown';
  descriptors: string;
  notes: string;
  identified: boolean;
  status: VictimStatus;
  notice: { kind: 'green' | 'yellow'; reference: string } | null;
  links: Array<{ type: 'series' | 'media'; id: number }>;
  updatedAt: number;
}

export interface Notification {
  id: number;
  kind: 'mention' | 'consultation' | 'consultation.answer' | 'series.matched' | 'submission.matched' | string;
  message: string;
  objectType: string | null;
  objectId: string | null;
  createdAt: number;
  readAt: number | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actorId: number | null;
  actorName: string;
  actorCountry: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  objectCountry: string | null;
  address: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

export type NoticeKind = 'green' | 'yellow';
export type NoticeStatus = 'draft' | 'requested' | 'published' | 'cancellation_requested' | 'cancelled';

export interface NoticeSummary {
  id: number;
  kind: NoticeKind;
  reference: string;
  status: NoticeStatus;
  countryCode: string;
  agencyId: number;
  contactAgencyId: number;
  subjectName: string;
  subjectStatus: 'missing' | 'located' | 'cancelled' | null;
  version: number;
  publishedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface Notice extends NoticeSummary {
  body: Record<string, unknown>;
  contactAgency: { id: number; name: string };
  returnReasons: string[] | null;
  cancelReason: string | null;
  links: Array<{ kind: 'offender' | 'victim' | 'series' | 'investigation'; targetId: number }>;
  photos: Array<{ id: number; caption: string; fileName: string; status: 'pending' | 'done' | 'error'; mediaId: number | null; sha256: string | null; error: string | null; addedAt: number }>;
  connections: Array<{ id: number; mediaId: number; victimId: number; matchedMediaId: number | null; kind: string; score: number; reportedBy: string; createdAt: number }> | null;
  history: Array<{ action: string; actorId: number | null; actorCountry: string | null; reasons: string[] | null; version: number; at: number }>;
  canEdit: boolean;
  canReview: boolean;
}

export interface OperationSummary {
  id: number;
  name: string;
  status: string;
  coordinatorCountry: string;
  coordinatorAgencyId: number;
  createdAt: number;
  updatedAt: number;
}
