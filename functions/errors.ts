/** How a function ends when its work failed: EventBridge and SQS retry what a function throws, so a function throws
 * only what a retry can help (a RetryableError, AWS throttling or 5xx) or nobody knows yet (a bug), and returns what
 * retrying cannot change (a TerminalError, an AWS error the request caused). */

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

/** What an SQS worker does with a message whose work failed: settle it ('done', logged) when retrying cannot change the
 * outcome, else leave it to SQS to deliver again ('retry'; the dead-letter queue after the last receive). */
export function settleFailedMessage(
  error: unknown,
  logger: { error(message: string, attributes: Record<string, unknown>): void },
  what: string,
  log: Record<string, unknown>,
): 'done' | 'retry' {
  const summary = summarizeError(error);
  if (classifyError(error) === 'terminal') {
    logger.error(`${what} failed; not retried: retrying cannot change this`, { ...log, error: summary });
    return 'done';
  }
  logger.error(`${what} failed; SQS delivers it again (dead-letter queue after the last receive)`, {
    ...log,
    error: summary,
  });
  return 'retry';
}
