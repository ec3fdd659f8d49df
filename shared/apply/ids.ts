/** Identifiers apply makes up: action ids linking an intent to its outcome, and change set names. Ledger entry ids
 * come from the ledger's own newEntryId (shared/audit/dynamodb.ts). */
import { randomUUID } from 'node:crypto';

/** Links an intent entry to its outcome entry. */
export function newActionId(): string {
  return randomUUID();
}

/** `driftless-<short commit>-<random>`: names the commit in the CloudFormation console, and never collides with an
 * earlier change set for the same commit. Matches CloudFormation's [a-zA-Z][-a-zA-Z0-9]* (at most 128). */
export function newChangeSetName(commitId: string): string {
  const shortCommit = commitId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 12) || 'unknown';
  return `driftless-${shortCommit}-${randomUUID().replace(/-/g, '').slice(0, 8)}`;
}
