/** Errors raised while reading live state from AWS, and how an SDK error is judged passing or not. */
import { isRetryableAwsError } from '../aws/errors.ts';
import { DriftlessError, type DriftlessErrorOptions } from '../errors.ts';

export { errorName, isRetryableAwsError } from '../aws/errors.ts';

/** Reading live state failed. Never to be mistaken for an absent resource: the planner must not act on it. */
export class LiveReadError extends DriftlessError {
  readonly retryable: boolean;

  constructor(message: string, options: DriftlessErrorOptions & { retryable?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? false;
  }
}

/** Wraps an SDK error into a LiveReadError saying what was being read. */
export function liveReadError(service: string, what: string, error: unknown): LiveReadError {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return new LiveReadError(`${service} ${what} failed: ${reason}`, {
    cause: error,
    retryable: isRetryableAwsError(error),
  });
}
