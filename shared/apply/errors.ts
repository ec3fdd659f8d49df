/** Errors apply raises itself (the AWS SDK's own errors pass through as they are). */
import { RetryableError, TerminalError } from '../errors.ts';

/** CloudFormation could not compute the change set (its StatusReason says why); running again cannot help. */
export class ChangeSetFailedError extends TerminalError {}

/** The change set was still being computed when apply stopped polling; a later run tries again. */
export class ChangeSetTimeoutError extends RetryableError {}
