import { QueryTemplate } from '../db/query-template.js';
import type { SubmissionFilesTable } from '../db/schema.js';

/**
 * The statements every ingested file runs (its submission, its row, its item, its outcome), compiled once
 * (QueryTemplate): at thousands of files a minute, building and compiling a query tree per statement was a
 * noticeable share of the main thread's work per file. Statements run less often stay written where they are used.
 */

/** A submission's row. */
export const SUBMISSION_BY_ID = new QueryTemplate((db, v: { id: number }) => db.selectFrom('submissions').selectAll().where('id', '=', v.id));

/** The file a submission holds at a path. */
export const FILE_AT_PATH = new QueryTemplate((db, v: { submissionId: number; path: string }) =>
  db.selectFrom('submission_files').select(['id', 'blob_sha256']).where('submission_id', '=', v.submissionId).where('path', '=', v.path),
);

/** A file added to a submission, pending; nothing when the submission already holds its path (returns its id). */
export type NewFileRow = Pick<SubmissionFilesTable, 'submission_id' | 'path' | 'parent_file_id' | 'depth' | 'size' | 'mtime' | 'blob_sha256' | 'md5' | 'sha1' | 'created_at'>;
export const INSERT_FILE = new QueryTemplate((db, v: NewFileRow) =>
  db
    .insertInto('submission_files')
    .values({
      submission_id: v.submission_id,
      path: v.path,
      parent_file_id: v.parent_file_id,
      depth: v.depth,
      size: v.size,
      mtime: v.mtime,
      blob_sha256: v.blob_sha256,
      md5: v.md5,
      sha1: v.sha1,
      status: 'pending',
      created_at: v.created_at,
    })
    .onConflict((oc) => oc.columns(['submission_id', 'path']).doNothing())
    .returning('id'),
);

/** The media item stored with these bytes. */
export const ITEM_BY_SHA256 = new QueryTemplate((db, v: { sha256: string }) => db.selectFrom('media_items').select(['id', 'mime']).where('sha256', '=', v.sha256));

/** A file's outcome. */
export const SETTLE_FILE = new QueryTemplate((db, v: { id: number } & Pick<SubmissionFilesTable, 'status' | 'error' | 'media_id' | 'mime' | 'processed_at'>) =>
  db.updateTable('submission_files').set({ status: v.status, error: v.error, media_id: v.media_id, mime: v.mime, processed_at: v.processed_at }).where('id', '=', v.id),
);

/** Takes a sealed submission's row lock (PostgreSQL) without changing it; no row when it is not sealed. */
export const LOCK_SEALED = new QueryTemplate((db, v: { id: number }) =>
  db
    .updateTable('submissions')
    .set({ status: (eb) => eb.ref('status') })
    .where('id', '=', v.id)
    .where('status', '=', 'sealed'),
);

/** One file of the submission still pending, if any (an index probe on submission and status). */
export const ANY_PENDING = new QueryTemplate((db, v: { submissionId: number }) =>
  db.selectFrom('submission_files').select('id').where('submission_id', '=', v.submissionId).where('status', '=', 'pending').limit(1),
);
