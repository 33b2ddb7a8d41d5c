/**
 * Typed errors shared by every layer. A verdict is never an error; these are for things that
 * stop a command or a Lambda. Each carries a stable `code` the command line and handlers map
 * to exit statuses and typed Lambda errors, and keeps its `cause`.
 */
export class Cm01Error extends Error {
  // Spelled out in every error class: a minified bundle renames classes, and alarms, log
  // queries and Step Functions retries match on this name.
  override name = 'Cm01Error';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Bad input from a person, an event or a file. `malformed` marks input wrong on its face —
 * malformed, impossible, unknown, out of range, or in conflict with another field — found without
 * reading a file or asking a server: the command line exits 2 for it (a usage error, cli.md), and
 * 1 for any other bad input (a file that cannot be read, a window the source has not reached).
 * Both keep the one name `InputError`, which a Lambda's alarms and catches match.
 */
export class InputError extends Cm01Error {
  override name = 'InputError';
  /** Path of the bad field, e.g. `repos[2].pullRequests[5].mergedAt` or `--period`. */
  readonly field: string;
  readonly malformed: boolean;
  constructor(field: string, message: string, options?: { cause?: unknown; malformed?: boolean }) {
    super('INPUT', `${field}: ${message}`, options);
    this.field = field;
    this.malformed = options?.malformed === true;
  }
}

/** An `InputError` for input wrong on its face (see above): exit 2 on the command line. */
export function malformedInput(field: string, message: string, options?: { cause?: unknown }): InputError {
  return new InputError(field, message, { ...options, malformed: true });
}

export function isMalformedInput(error: unknown): error is InputError {
  return error instanceof InputError && error.malformed;
}

/** The evidence store or index is missing, misconfigured or unreachable. */
export class StoreError extends Cm01Error {
  override name = 'StoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE', message, options);
  }
}

/** A write was refused because the object is retained (Object Lock or the local locker). */
export class RetentionError extends StoreError {
  override name = 'RetentionError';
}

/** A source (GitHub) failed in a way the collector could not recover from. */
export class SourceError extends Cm01Error {
  override name = 'SourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SOURCE', message, options);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
