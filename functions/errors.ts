/**
 * How a function ends when the work failed. EventBridge retries an invocation that throws (its retry policy, then
 * the dead-letter queue), so a function throws only when a retry can help or nobody knows yet whether it can:
 * - retryable: a DriftlessError that says so (LiveReadError on throttling or 5xx, LockLostError, a LedgerWriteError
 *   that is not a collision, a GitReadError on a passing failure) or an AWS error that is throttling, 5xx, a timeout
 *   or a dropped connection → rethrown;
 * - terminal: any other DriftlessError (configuration, validation, a missing ref, a ledger collision) or an AWS
 *   error the caller caused (access denied, a bad parameter) → logged and returned; retrying cannot change them;
 * - unexpected: anything else (a bug) → rethrown, so the event reaches the dead-letter queue to be looked at.
 */

import { isRetryableAwsError } from '../shared/aws/errors.ts';
import { DriftlessError } from '../shared/errors.ts';

export type FailureKind = 'retryable' | 'terminal' | 'unexpected';

export interface ErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly retryable: boolean;
}

export function classifyError(error: unknown): FailureKind {
  if (error instanceof DriftlessError) return error.retryable ? 'retryable' : 'terminal';
  if (isRetryableAwsError(error)) return 'retryable';
  // An AWS service exception the request itself caused: the same request fails the same way again.
  if (error instanceof Error && (error as Error & { $fault?: unknown }).$fault === 'client') return 'terminal';
  return 'unexpected';
}

/** Whether the function throws this error back to EventBridge. */
export function isRethrown(error: unknown): boolean {
  return classifyError(error) !== 'terminal';
}

export function summarizeError(error: unknown): ErrorSummary {
  const kind = classifyError(error);
  if (error instanceof Error) {
    return { name: error.name, message: error.message || error.name, retryable: kind !== 'terminal' };
  }
  return { name: 'Error', message: String(error), retryable: kind !== 'terminal' };
}
