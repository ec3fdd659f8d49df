/** The change set names apply makes up; ledger entry and action ids come from shared/audit/ids.ts. */
import { randomUUID } from 'node:crypto';

/** `driftless-<short commit>-<random>`: names the commit in the CloudFormation console, and never collides with an
 * earlier change set for the same commit. Matches CloudFormation's [a-zA-Z][-a-zA-Z0-9]* (at most 128). */
export function newChangeSetName(commitId: string): string {
  const shortCommit = commitId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 12) || 'unknown';
  return `driftless-${shortCommit}-${randomUUID().replace(/-/g, '').slice(0, 8)}`;
}
