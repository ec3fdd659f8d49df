/** Every error class driftless raises on purpose. Each extends TerminalError (retrying cannot help) or
 * RetryableError (the same work may succeed later); callers decide with `instanceof`, never by name. A failure that
 * can be either (a Git read, a live read, a ledger write) is two classes, chosen where the cause is known. */

export interface DriftlessErrorOptions {
  cause?: unknown;
}

/** Base of every error driftless raises on purpose. `retryable` mirrors the base class, for logs and summaries. */
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

// --- Git -------------------------------------------------------------------------------------------------------

/** Reading the configuration repository failed for a reason a retry cannot change. Never to be mistaken for an
 * empty repository. */
export class GitReadError extends TerminalError {}

/** Reading the configuration repository failed for a passing reason (throttling, 5xx, a timeout). */
export class GitUnavailableError extends RetryableError {}

/** The branch or commit asked for does not exist. */
export class RefNotFoundError extends GitReadError {
  constructor(ref: string, options: DriftlessErrorOptions = {}) {
    super(`ref not found: ${ref}`, options);
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
    super(`${path} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`, options);
  }
}

/** A Git read failure: the retryable class when the cause passes, else the terminal one. */
export function gitReadFailure(
  message: string,
  cause: unknown,
  retryable: boolean,
): GitReadError | GitUnavailableError {
  return retryable ? new GitUnavailableError(message, { cause }) : new GitReadError(message, { cause });
}

// --- Live state ------------------------------------------------------------------------------------------------

/** Reading live state failed for a reason a retry cannot change (access denied, a malformed answer). Never to be
 * mistaken for an absent resource: the planner must not act on it. */
export class LiveReadError extends TerminalError {}

/** Reading live state failed for a passing reason (throttling that outlasted the SDK's retries, 5xx). */
export class LiveUnavailableError extends RetryableError {}

// --- Ledger and lock -------------------------------------------------------------------------------------------

/** The audit ledger could not record an entry (unreachable, throttled): the run stops, and the write the entry
 * announced is never made. */
export class LedgerWriteError extends RetryableError {}

/** The audit ledger refused an entry (its key exists, its time is invalid, the table is missing): nothing was
 * overwritten, and the same entry is refused again. */
export class LedgerEntryRefusedError extends TerminalError {}

/** The ledger table does not exist under that name in that region: deploy the stack, name the right table, or
 * create it (`driftless reconcile --create-tables`). A ledger failure like a refused entry: retrying cannot help. */
export class LedgerTableMissingError extends LedgerEntryRefusedError {}
/** The audit ledger refused an entry because the run's lease was taken by another run (the fence on every append of
 * a run, shared/audit/fence.ts): nothing was stored, and the run must stop making writes. */
export class LedgerFencedError extends LedgerEntryRefusedError {}

/** Whether the ledger failed to record an entry, for whatever reason: such a failure is never retried around. */
export function isLedgerFailure(error: unknown): error is LedgerWriteError | LedgerEntryRefusedError {
  return error instanceof LedgerWriteError || error instanceof LedgerEntryRefusedError;
}

/** The run lock was lost (expired and taken by another run): no further write may be made by this run. */
export class LockLostError extends RetryableError {}

/** The lock table does not exist under that name in that region (see LedgerTableMissingError). */
export class LockTableMissingError extends TerminalError {}

// --- Apply and write-back --------------------------------------------------------------------------------------

/** CloudFormation could not compute the change set (its StatusReason says why); running again cannot help. */
export class ChangeSetFailedError extends TerminalError {}

/** The change set was still being computed when apply stopped polling; a later run tries again. */
export class ChangeSetTimeoutError extends RetryableError {}

/** Live values cannot be written into a declaration file (a masked value, a path the declaration cannot hold). */
export class WriteBackError extends TerminalError {}

// --- Configuration ---------------------------------------------------------------------------------------------

/** A function's environment is incomplete or malformed: the deployment is wrong, and no retry fixes it. */
export class ConfigurationError extends TerminalError {}
