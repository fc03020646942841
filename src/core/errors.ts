/**
 * Typed errors shared by every layer. The HTTP layer and the CLI map them to status codes and exit codes in one
 * place (api/error-handler.ts, cli/exit-codes.ts); services throw them and never build responses themselves.
 */
export type ErrorKind = 'invalid' | 'not_found' | 'forbidden' | 'unauthenticated' | 'conflict' | 'integrity' | 'unavailable' | 'config';

export class AriadneError extends Error {
  readonly kind: ErrorKind;
  readonly details?: Record<string, unknown>;
  constructor(kind: ErrorKind, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.details = details;
  }
}

/** Bad input from a caller: a malformed hash, an unsupported file, a missing field. */
export class InvalidError extends AriadneError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('invalid', message, details, options);
  }
}

/** Missing, or present but not visible to the caller: both answer the same so ids leak nothing. */
export class NotFoundError extends AriadneError {
  constructor(message = 'not found', details?: Record<string, unknown>) {
    super('not_found', message, details);
  }
}

export class ForbiddenError extends AriadneError {
  constructor(message = 'forbidden', details?: Record<string, unknown>) {
    super('forbidden', message, details);
  }
}

export class UnauthenticatedError extends AriadneError {
  constructor(message = 'authentication required') {
    super('unauthenticated', message);
  }
}

export class ConflictError extends AriadneError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

/** Stored data failed a check: an altered blob, a broken audit chain, a corrupt snapshot. */
export class IntegrityError extends AriadneError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('integrity', message, details, options);
  }
}

/** A dependency (database, blob store) cannot be reached. */
export class UnavailableError extends AriadneError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('unavailable', message, details, options);
  }
}

/** Invalid configuration: the message names the setting. */
export class ConfigError extends AriadneError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('config', `${setting}: ${message}`, { setting });
    this.setting = setting;
  }
}
