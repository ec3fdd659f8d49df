/** Error classes shared by every layer: each names itself and says whether a retry can help. */

export interface DriftlessErrorOptions {
  cause?: unknown;
}

/** Base of every error driftless raises on purpose. `retryable` tells callers whether trying again can help. */
export abstract class DriftlessError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options: DriftlessErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Bad input or a state no retry can change: reported once, never retried. */
export class TerminalError extends DriftlessError {
  readonly retryable = false;
}

/** A passing condition (throttling, 5xx, timeout): the same call may succeed later. */
export class RetryableError extends DriftlessError {
  readonly retryable = true;
}

/** Reading the configuration repository failed. Never to be mistaken for an empty repository. */
export class GitReadError extends DriftlessError {
  readonly retryable: boolean;

  constructor(message: string, options: DriftlessErrorOptions & { retryable?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? false;
  }
}

/** The branch or commit asked for does not exist. */
export class RefNotFoundError extends GitReadError {
  constructor(ref: string, options: DriftlessErrorOptions = {}) {
    super(`ref not found: ${ref}`, { ...options, retryable: false });
  }
}

/** A file is larger than driftless will read (see MAX_FILE_BYTES). */
export class FileTooLargeError extends GitReadError {
  constructor(
    readonly path: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
    options: DriftlessErrorOptions = {},
  ) {
    super(`${path} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`, { ...options, retryable: false });
  }
}

/** The audit ledger could not record an entry: the run stops, and the write it announced is never made. */
export class LedgerWriteError extends DriftlessError {
  readonly retryable: boolean;

  constructor(message: string, options: DriftlessErrorOptions & { retryable?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? true;
  }
}

/** The run lock was lost (expired and taken by another run): no further write may be made by this run. */
export class LockLostError extends DriftlessError {
  readonly retryable = true;
}
