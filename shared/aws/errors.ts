/** How an AWS SDK error is judged: its name, and whether the same call may succeed later. */
import { LiveReadError, LiveUnavailableError } from '../errors.ts';

/** Names the SDK's own retry strategy treats as throttling; seeing one here means its retries ran out.
 * LimitExceededException is left out: in ECS and CloudFormation it is a quota, not a rate. */
const THROTTLING_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const TRANSIENT_ERROR_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServerException',
  'InternalFailure',
  'ServiceUnavailable',
]);
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Throttling, 5xx, timeouts and dropped connections: the same call may succeed later. */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const details = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $fault?: unknown;
    $retryable?: unknown;
    code?: unknown;
  };
  const status = details.$metadata?.httpStatusCode;
  return (
    THROTTLING_ERROR_NAMES.has(error.name) ||
    TRANSIENT_ERROR_NAMES.has(error.name) ||
    details.$retryable !== undefined ||
    details.$fault === 'server' ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (typeof details.code === 'string' && TRANSIENT_NETWORK_CODES.has(details.code))
  );
}

/** Wraps an SDK error met while reading live state, saying what was being read; a passing cause makes it retryable. */
export function liveReadError(service: string, what: string, error: unknown): LiveReadError | LiveUnavailableError {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  const message = `${service} ${what} failed: ${reason}`;
  return isRetryableAwsError(error)
    ? new LiveUnavailableError(message, { cause: error })
    : new LiveReadError(message, { cause: error });
}
