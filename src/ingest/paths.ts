import { InvalidError } from '../core/errors.js';
import { hasControlCharacters } from '../core/text.js';

const MAX_PATH = 1024;

/**
 * The path of a submitted file as recorded: NFC, '/'-separated, relative, without `.` or `..` segments or control
 * characters. Paths come from browsers, folders and archives; none may name anything outside the submission.
 */
export function normaliseSubmittedPath(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new InvalidError('a file path is required');
  const text = raw.normalize('NFC').replace(/\\/g, '/');
  if (hasControlCharacters(text)) throw new InvalidError('a file path must not contain control characters');
  if (text.startsWith('/') || /^[A-Za-z]:\//.test(text)) throw new InvalidError(`absolute paths are not accepted: "${truncate(text)}"`);
  const segments = text.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) throw new InvalidError(`paths must not contain "..": "${truncate(text)}"`);
  if (segments.length === 0) throw new InvalidError('a file path is required');
  const path = segments.join('/');
  if (path.length > MAX_PATH) throw new InvalidError(`a file path is longer than ${MAX_PATH} characters`);
  return path;
}

/** A path inside an archive file of the submission: `outer.zip!/inner/file.jpg`. */
export function archiveMemberPath(archivePath: string, memberPath: string): string {
  return `${archivePath}!/${normaliseSubmittedPath(memberPath)}`;
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
