import type { Generated, Kysely, Transaction } from 'kysely';

/**
 * Table types for Kysely. Times are integers: milliseconds since the Unix epoch (UTC), the same on SQLite and
 * PostgreSQL (bigint there, parsed to number). Booleans are stored as 0/1 integers on both. JSON is text.
 */
export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  result: string | null;
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface CountriesTable {
  code: string;
  name: string;
  created_at: number;
}

export interface AgenciesTable {
  id: Generated<number>;
  country_code: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  /** Lower case, unique. */
  username: string;
  agency_id: number;
  country_code: string;
  role: 'investigator' | 'country_admin' | 'global_admin' | 'auditor';
  status: 'active' | 'suspended';
  /** argon2id PHC string. */
  password_hash: string;
  must_change_password: 0 | 1;
  /** The TOTP secret sealed by auth/secret-box.ts (AES-256-GCM under a key derived from the master key). */
  totp_secret: string | null;
  totp_confirmed: 0 | 1;
  /** The last TOTP time step accepted (replay protection). */
  totp_last_step: number | null;
  certified_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session cookie value; the value itself is never stored. */
  id: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  address: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
  token_hash: string;
  /** Comma-separated scopes: read, upload, admin. */
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface LoginThrottleTable {
  /** The account name as typed (lower case), whether or not such a user exists. */
  account: string;
  failures: number;
  first_failure_at: number;
  locked_until: number | null;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  actor_id: number | null;
  actor_name: string;
  actor_country: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  object_country: string | null;
  address: string | null;
  request_id: string | null;
  /** JSON text. */
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface InstanceSettingsTable {
  key: string;
  value: string;
}

export interface MediaItemsTable {
  id: Generated<number>;
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  mime: string;
  kind: 'image' | 'video' | 'other';
  width: number | null;
  height: number | null;
  created_at: number;
  first_seen_at: number | null;
  first_country: string | null;
  /** Blurred greyscale thumbnail (the default view). */
  thumbnail_sha256: string | null;
  /** Unredacted preview, shown only on a deliberate, audited request. */
  preview_sha256: string | null;
  /** ExifSummary as JSON. */
  exif: string | null;
  camera_make: string | null;
  camera_model: string | null;
  camera_serial: string | null;
  gps_lat: number | null;
  gps_lon: number | null;
  taken_at: string | null;
}

export interface SubmissionsTable {
  id: Generated<number>;
  user_id: number | null;
  agency_id: number | null;
  country_code: string | null;
  actor_name: string;
  /** Seizure reference, case number. */
  reference: string;
  device: string;
  notes: string;
  /** open: files are arriving; sealed: no more files, processing; complete: every file processed. */
  status: 'open' | 'sealed' | 'complete';
  created_at: number;
  sealed_at: number | null;
  completed_at: number | null;
}

export interface SubmissionFilesTable {
  id: Generated<number>;
  submission_id: number;
  /** Path as submitted (inside archives: `archive.zip!/inner/path.jpg`). */
  path: string;
  parent_file_id: number | null;
  depth: number;
  size: number | null;
  mtime: number | null;
  blob_sha256: string | null;
  md5: string | null;
  sha1: string | null;
  /** Sniffed from the bytes when processed. */
  mime: string | null;
  status: 'pending' | 'done' | 'error';
  error: string | null;
  media_id: number | null;
  created_at: number;
  processed_at: number | null;
}

export interface HashSetsTable {
  id: Generated<number>;
  name: string;
  /** Who supplied the list (agency, programme, export tool). */
  source: string;
  /** Licence or handling terms under which it may be used. */
  terms: string;
  /** Format it was imported from: pdq-list, vics, icse-csv. */
  format: string;
  enabled: 0 | 1;
  entry_count: number;
  created_by: number | null;
  created_at: number;
  updated_at: number;
}

/** One hash of a media item or of a hash set entry; the in-memory indexes are built from these rows. */
export interface SignalEntriesTable {
  id: Generated<number>;
  signal: 'pdq' | 'vpdq' | 'md5' | 'sha1' | 'sha256';
  hash: Buffer;
  quality: number | null;
  /** `plain`, `trimmed` (letterbox removed), or `frame` for a vpdq frame hash. */
  variant: string;
  /** A vpdq frame's timestamp in the video, in milliseconds (migration 0010); null for other signals. */
  frame_ms: number | null;
  media_id: number | null;
  set_id: number | null;
  label: string | null;
  created_at: number;
  removed_at: number | null;
}

/** Append-only log of entry additions and removals; index snapshots record the last seq they reflect. */
export interface SignalChangesTable {
  seq: Generated<number>;
  entry_id: number;
  op: 'add' | 'remove';
  at: number;
}

/**
 * Blobs small enough to keep in the database (redacted thumbnails): content-addressed like the blob store and sealed
 * in its envelope format under its keys, but written in the transaction of the row that names them, so storing one
 * costs no file of its own (storage/inline-blobs.ts).
 */
export interface InlineBlobsTable {
  sha256: string;
  /** The sealed envelope (storage/envelope.ts) of the plaintext whose SHA-256 is `sha256`. */
  envelope: Uint8Array;
  /** Plaintext bytes. */
  size: number;
  created_at: number;
}

export type InvestigationStatus = 'open' | 'closed' | 'archived';
export type MemberRole = 'lead' | 'member' | 'viewer';
export type IdentificationStatus = 'unidentified' | 'identified' | 'safeguarded';

export interface InvestigationsTable {
  id: Generated<number>;
  title: string;
  reference: string;
  agency_id: number;
  country_code: string;
  status: InvestigationStatus;
  created_by: number;
  created_at: number;
  updated_at: number;
}

export interface InvestigationMembersTable {
  investigation_id: number;
  user_id: number;
  role: MemberRole;
  added_at: number;
}

/** One sharing grant: a named agency (agency_id) or a whole country (country_code). */
export interface InvestigationSharesTable {
  id: Generated<number>;
  investigation_id: number;
  agency_id: number | null;
  country_code: string | null;
  created_at: number;
}

export interface InvestigationLinksTable {
  id: Generated<number>;
  investigation_id: number;
  kind: 'submission' | 'media' | 'series' | 'person' | 'location' | 'tag';
  /** The linked object's id (submission, media, series, person); null for locations and tags. */
  target_id: number | null;
  /** A tag's text (lower case) or a location's name. */
  label: string | null;
  lat: number | null;
  lon: number | null;
  created_at: number;
}

export interface SeriesTable {
  id: Generated<number>;
  name: string;
  description: string;
  agency_id: number;
  country_code: string;
  identification_status: IdentificationStatus;
  /** The investigator who created it; null when the operator created it for the agency on import (0008, audited). */
  created_by: number | null;
  created_at: number;
  updated_at: number;
}

export interface SeriesMediaTable {
  series_id: number;
  media_id: number;
  /** Null when the operator added it for the owning agency on import (0008, audited). */
  added_by: number | null;
  added_at: number;
}

export interface SeriesSightingsTable {
  series_id: number;
  submission_id: number;
  country_code: string | null;
  /** The submitted item that is, or matches, an item of the series. */
  media_id: number;
  at: number;
}

export interface PeopleTable {
  id: Generated<number>;
  kind: 'victim' | 'offender';
  label: string;
  agency_id: number;
  country_code: string;
  age_min: number | null;
  age_max: number | null;
  sex: 'female' | 'male' | 'unknown';
  descriptors: string;
  notes: string;
  identified: 0 | 1;
  /** Victims: unidentified -> identified -> safeguarded; offenders: unidentified or identified. */
  status: IdentificationStatus;
  /** Green Notice (offender) or Yellow Notice (victim), once linked. */
  notice_kind: 'green' | 'yellow' | null;
  notice_ref: string | null;
  created_by: number;
  created_at: number;
  updated_at: number;
  /** When the person was first identified / safeguarded (0009; statistics per month). */
  identified_at: number | null;
  safeguarded_at: number | null;
}

export interface PersonLinksTable {
  person_id: number;
  target_type: 'series' | 'media';
  target_id: number;
  created_at: number;
}

export interface CategoryVotesTable {
  id: Generated<number>;
  media_id: number;
  user_id: number;
  /** VICS 0-5. */
  category: number;
  baseline: 0 | 1;
  created_at: number;
  /** Set when the same investigator votes again: the history stays. */
  superseded_at: number | null;
}

/**
 * A category assigned by a national unit on import (`ariadne ingest --category`, migration 0008): an explicit,
 * audited decision of the operator acting for that agency, not a vote. It stands as the item's category until
 * investigators' votes settle one.
 */
export interface CategoryAssignmentsTable {
  id: Generated<number>;
  media_id: number;
  category: number;
  baseline: 0 | 1;
  /** The national unit the operator acted for. */
  agency_id: number;
  /** The audit actor id of the operator (`system:cli:<os user>`). */
  actor: string;
  submission_id: number | null;
  created_at: number;
}

export interface MediaCategoriesTable {
  media_id: number;
  /** Settled category and baseline flag; null until enough investigators agree. */
  category: number | null;
  baseline: 0 | 1 | null;
  settled_at: number | null;
  /** Current votes. */
  votes: number;
  /** 1 while current votes disagree (listed for review). */
  disputed: 0 | 1;
  updated_at: number;
}

export interface CommentsTable {
  id: Generated<number>;
  investigation_id: number;
  target_type: 'investigation' | 'series' | 'media';
  target_id: number;
  parent_id: number | null;
  author_id: number;
  body: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface CommentRevisionsTable {
  id: Generated<number>;
  comment_id: number;
  /** The text as it was before an edit. */
  body: string;
  replaced_at: number;
}

export interface CommentMentionsTable {
  comment_id: number;
  user_id: number;
}

export interface ConsultationsTable {
  id: Generated<number>;
  investigation_id: number | null;
  media_id: number | null;
  asked_by: number;
  asker_agency_id: number;
  asker_country: string;
  to_user_id: number | null;
  to_agency_id: number | null;
  to_country: string | null;
  question: string;
  status: 'open' | 'answered' | 'closed';
  answer: string | null;
  answered_by: number | null;
  answered_at: number | null;
  closed_at: number | null;
  created_at: number;
}

export interface NotificationsTable {
  id: Generated<number>;
  user_id: number;
  kind: 'mention' | 'consultation' | 'consultation.answer' | 'series.matched' | 'submission.matched' | 'notice.review' | 'notice.connection' | 'operation.update';
  message: string;
  object_type: string | null;
  object_id: string | null;
  /** JSON text. */
  details: string | null;
  /** At most one notification per user and key (a series matched in one submission notifies once). */
  dedupe_key: string | null;
  created_at: number;
  read_at: number | null;
}

/** What an exchanged hash-set entry says beyond its hashes (migration 0006); hashes are lower-case hex. */
export interface HashSetItemsTable {
  id: Generated<number>;
  set_id: number;
  /** base64url of 16 bytes of SHA-256(md5:sha1:sha256:pdq): one row per distinct entry in a set. */
  item_key: string;
  media_ref: string | null;
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  pdq: string | null;
  pdq_quality: number | null;
  /** base64 */
  photodna: string | null;
  /** JSON [{name, value}] */
  alt_hashes: string | null;
  category: number | null;
  baseline: 0 | 1 | null;
  series: string | null;
  victim_identified: 0 | 1 | null;
  offender_identified: 0 | 1 | null;
  distributed: 0 | 1 | null;
  /** JSON string[] */
  tags: string | null;
  media_type: string | null;
  file_name: string | null;
  label: string | null;
  created_at: number;
}

/** One imported file per set and format: the checkpoint an interrupted import resumes from. */
export interface HashSetImportsTable {
  id: Generated<number>;
  set_id: number;
  format: string;
  file_sha256: string;
  file_size: number;
  records_done: number;
  added: number;
  problems: number;
  status: 'running' | 'done';
  started_by: number | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

export type NoticeKind = 'green' | 'yellow';
export type NoticeStatus = 'draft' | 'requested' | 'published' | 'cancellation_requested' | 'cancelled';
/** Yellow Notices: what is known of the missing person. */
export type SubjectStatus = 'missing' | 'located' | 'cancelled';

/** A Green or Yellow Notice (0009); `body` is the content as validated JSON (notices/notice-body.ts). */
export interface NoticesTable {
  id: Generated<number>;
  kind: NoticeKind;
  /** `GN-2026-000012` / `YN-…`: unique, assigned at creation. */
  reference: string;
  status: NoticeStatus;
  country_code: string;
  agency_id: number;
  /** The unit to contact about the notice (the issuing agency unless another of its country is named). */
  contact_agency_id: number;
  /** The subject's main name, for lists and search. */
  subject_name: string;
  subject_status: SubjectStatus | null;
  body: string;
  version: number;
  /** The submission holding the notice's photos (created with the first photo). */
  submission_id: number | null;
  created_by: number;
  requested_by: number | null;
  requested_at: number | null;
  reviewed_by: number | null;
  published_at: number | null;
  /** Why the last review returned the notice (JSON string[]). */
  return_reasons: string | null;
  cancel_reason: string | null;
  cancel_requested_by: number | null;
  cancelled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface NoticeVersionsTable {
  id: Generated<number>;
  notice_id: number;
  version: number;
  body: string;
  subject_status: SubjectStatus | null;
  changed_by: number | null;
  changed_at: number;
}

/** The notice's own history (requests, reviews, returns with reasons, cancellation); the audit trail has it all too. */
export interface NoticeEventsTable {
  id: Generated<number>;
  notice_id: number;
  action: string;
  actor_id: number | null;
  actor_country: string | null;
  /** JSON string[] or null. */
  reasons: string | null;
  version: number;
  at: number;
}

export interface NoticeLinksTable {
  notice_id: number;
  kind: 'offender' | 'victim' | 'series' | 'investigation';
  target_id: number;
  added_by: number;
  added_at: number;
}

export interface NoticePhotosTable {
  id: Generated<number>;
  notice_id: number;
  /** The submission file; its media item (hashed like any media) once the ingest job has run. */
  file_id: number;
  caption: string;
  added_by: number;
  added_at: number;
  removed_at: number | null;
}

/** A face or scene connection between a notice photo and a victim, reported by connection code. */
export interface NoticeConnectionsTable {
  id: Generated<number>;
  notice_id: number;
  media_id: number;
  victim_id: number;
  matched_media_id: number | null;
  kind: string;
  score: number;
  reported_by: string;
  created_at: number;
}

export type OperationStatus = 'planned' | 'active' | 'closed';

export interface OperationsTable {
  id: Generated<number>;
  name: string;
  description: string;
  status: OperationStatus;
  coordinator_country: string;
  coordinator_agency_id: number;
  created_by: number;
  created_at: number;
  updated_at: number;
}

export interface OperationParticipantsTable {
  operation_id: number;
  country_code: string;
  contact_user_id: number;
  role: 'coordinator' | 'participant';
  added_at: number;
}

export interface OperationItemsTable {
  id: Generated<number>;
  operation_id: number;
  kind: 'investigation' | 'notice';
  target_id: number;
  shared_by: number;
  shared_country: string;
  shared_at: number;
}

export interface OperationTargetsTable {
  id: Generated<number>;
  operation_id: number;
  label: string;
  details: string;
  country_code: string | null;
  status: 'open' | 'located' | 'arrested' | 'closed';
  created_by: number;
  created_at: number;
  updated_at: number;
}

/** The operation's timeline of actions (searches, arrests, rescues), each at the time it happened. */
export interface OperationActionsTable {
  id: Generated<number>;
  operation_id: number;
  happened_at: number;
  title: string;
  details: string;
  country_code: string;
  created_by: number;
  created_at: number;
}

export interface OperationTasksTable {
  id: Generated<number>;
  operation_id: number;
  title: string;
  details: string;
  owner_id: number;
  due_at: number | null;
  status: 'open' | 'done' | 'cancelled';
  created_by: number;
  created_at: number;
  updated_at: number;
}

export interface OperationMessagesTable {
  id: Generated<number>;
  operation_id: number;
  author_id: number;
  country_code: string;
  body: string;
  created_at: number;
}

/** Per-user viewing protection for the web application (migration 0012). */
export interface ViewingPreferencesTable {
  user_id: number;
  /** CSS blur radius in pixels applied over redacted thumbnails (0 to 40). */
  blur: number;
  /** 1: thumbnails stay greyscale. */
  grayscale: number;
  /** 1: videos start muted. */
  mute_videos: number;
  /** Interface language (en, fr, es); null: the browser's. */
  locale: string | null;
  updated_at: number;
}

export interface Schema {
  jobs: JobsTable;
  instance_settings: InstanceSettingsTable;
  media_items: MediaItemsTable;
  video_facts: VideoFactsTable;
  submissions: SubmissionsTable;
  submission_files: SubmissionFilesTable;
  hash_sets: HashSetsTable;
  signal_entries: SignalEntriesTable;
  signal_changes: SignalChangesTable;
  inline_blobs: InlineBlobsTable;
  countries: CountriesTable;
  agencies: AgenciesTable;
  users: UsersTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_throttle: LoginThrottleTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  investigations: InvestigationsTable;
  investigation_members: InvestigationMembersTable;
  investigation_shares: InvestigationSharesTable;
  investigation_links: InvestigationLinksTable;
  series: SeriesTable;
  series_media: SeriesMediaTable;
  series_sightings: SeriesSightingsTable;
  people: PeopleTable;
  person_links: PersonLinksTable;
  category_votes: CategoryVotesTable;
  media_categories: MediaCategoriesTable;
  category_assignments: CategoryAssignmentsTable;
  comments: CommentsTable;
  comment_revisions: CommentRevisionsTable;
  comment_mentions: CommentMentionsTable;
  consultations: ConsultationsTable;
  notifications: NotificationsTable;
  hash_set_items: HashSetItemsTable;
  hash_set_imports: HashSetImportsTable;
  notices: NoticesTable;
  notice_versions: NoticeVersionsTable;
  notice_events: NoticeEventsTable;
  notice_links: NoticeLinksTable;
  notice_photos: NoticePhotosTable;
  notice_connections: NoticeConnectionsTable;
  operations: OperationsTable;
  operation_participants: OperationParticipantsTable;
  operation_items: OperationItemsTable;
  operation_targets: OperationTargetsTable;
  operation_actions: OperationActionsTable;
  operation_tasks: OperationTasksTable;
  operation_messages: OperationMessagesTable;
  viewing_preferences: ViewingPreferencesTable;
  vision_entries: VisionEntriesTable;
  vision_changes: VisionChangesTable;
  vision_runs: VisionRunsTable;
  scene_confirmations: SceneConfirmationsTable;
}

export type Db = Kysely<Schema>;
export type Tx = Transaction<Schema>;
/** A query runner: the database itself or an open transaction. */
export type Executor = Kysely<Schema>;
export type Dialect = 'sqlite' | 'postgres';

/** A video's header and decode facts and its redacted contact sheet (migration 0010). */
export interface VideoFactsTable {
  media_id: number;
  duration_ms: number | null;
  width: number;
  height: number;
  fps: number | null;
  codec: string;
  container: string;
  has_audio: number;
  rotation: number;
  sample_fps: number;
  frames_hashed: number;
  /** Timestamp of the last frame decoded: less than the duration when the stream ends early. */
  decoded_ms: number;
  contact_sheet_sha256: string | null;
  /** JSON array of the contact sheet tiles' timestamps (ms). */
  contact_sheet_times: string;
  created_at: number;
}

/** Faces and scene descriptors found in media items (migration 0011, connect/). */
export interface VisionEntriesTable {
  id: Generated<number>;
  kind: 'face' | 'scene';
  media_id: number;
  model: string;
  /** Float32 little-endian. */
  descriptor: Buffer;
  box_x: number | null;
  box_y: number | null;
  box_w: number | null;
  box_h: number | null;
  score: number | null;
  person_id: number | null;
  linked_by: number | null;
  linked_at: number | null;
  created_at: number;
  removed_at: number | null;
}

export interface VisionChangesTable {
  seq: Generated<number>;
  entry_id: number;
  op: 'add' | 'remove';
  at: number;
}

export interface VisionRunsTable {
  media_id: number;
  kind: 'face' | 'scene';
  model: string;
  entries: number;
  width: number | null;
  height: number | null;
  at: number;
}

export interface SceneConfirmationsTable {
  /** The smaller media id of the pair. */
  media_a: number;
  media_b: number;
  candidates: number;
  inliers: number;
  /** Float32 little-endian (ax, ay, bx, by) per inlier pair. */
  pairs: Buffer;
  width_a: number;
  height_a: number;
  width_b: number;
  height_b: number;
  at: number;
}
