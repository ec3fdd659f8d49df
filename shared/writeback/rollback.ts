/**
 * Rollback write-back: when a deployment of commit X is rolled back (the ECS circuit breaker, a CloudFormation
 * rollback) or someone asks (`driftless rollback`), Git is made to say what AWS is running again. driftless proposes
 * a pull request that restores the resource's declaration files (and a stack's template) to their previous version,
 * and never merges it: a person does, and the merge is the new commit that clears the rolled-back mark.
 *
 * - The files: where the declaration lives at X (plus the template of a stack), and where it lived at the previous
 *   version if it moved; a file absent at the previous version is deleted by the proposal.
 * - The previous version: `to` when given; else the newest other commit whose newest outcome for this resource the
 *   ledger recorded as succeeded (a deployment that completed, or a write not followed by a failure); else X's first
 *   parent.
 * - Nothing is proposed when the tracked branch changed those files since X (a newer commit supersedes X: reverting
 *   would undo it too), or when they already read as the previous version.
 * - The branch `driftless/rollback/<resource>-<X 12>` makes the proposal once (see proposals.ts).
 */
import { posix } from 'node:path';
import { newActionId, newEntryId } from '../audit/ids.ts';
import { type AuditLedger, type LedgerEntry, WRITE_BACK_REASON_PREFIX } from '../audit/ledger.ts';
import type { GitSource } from '../source/git-source.ts';
import { type Declaration, loadRepository } from '../spec/repository.ts';
import type { ChangeProposer, ProposedFile } from './proposals.ts';

/** Every ledger entry that records a write-back starts so: a repeated event finds it and proposes nothing again. */
export { WRITE_BACK_REASON_PREFIX };

const HISTORY_LIMIT = 200;
const SHORT = 12;

export interface RollbackRequest {
  readonly source: GitSource;
  readonly proposer: ChangeProposer;
  /** Picks the previous version and links the entries; without it the previous version is X's first parent. */
  readonly ledger?: AuditLedger;
  /** EcsService:<cluster>/<name> or CloudFormationStack:<name>. */
  readonly resourceId: string;
  /** X: the commit whose deployment was rolled back. */
  readonly commitId: string;
  /** The tracked branch: the proposal starts at its head and targets it. */
  readonly branch: string;
  /** The folder holding driftless.yaml. */
  readonly prefix?: string;
  /** The previous version to restore, instead of choosing it. */
  readonly to?: string;
  /** The ledger outcome that recorded the rollback, linked from the description. */
  readonly rolledBack?: LedgerEntry;
  /** Why, for the description: "the ECS deployment circuit breaker rolled the deployment back". */
  readonly why?: string;
  /** File texts by blob id, shared with the runs of a warm function (see LoadOptions). */
  readonly blobCache?: Map<string, string>;
}

export type RollbackWriteBack =
  | {
      readonly status: 'opened';
      readonly branch: string;
      readonly commitId: string;
      readonly pullRequestId?: string;
      readonly previousCommitId: string;
      readonly title: string;
      readonly files: readonly ProposedFile[];
    }
  | { readonly status: 'exists'; readonly branch: string; readonly previousCommitId: string }
  | { readonly status: 'not-proposed'; readonly reason: string };

export function rollbackBranch(resourceId: string, commitId: string): string {
  return `driftless/rollback/${resourceSlug(resourceId)}-${commitId.slice(0, SHORT)}`;
}

/** `EcsService:prod/web` → `prod-web`; `CloudFormationStack:platform-network` → `platform-network`. */
export function resourceSlug(resourceId: string): string {
  const name = resourceId.slice(resourceId.indexOf(':') + 1);
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'resource'
  );
}

export async function writeBackRollback(request: RollbackRequest): Promise<RollbackWriteBack> {
  const { source, resourceId, commitId } = request;
  const short = commitId.slice(0, SHORT);
  const load = (ref: string) =>
    loadRepository(source, {
      ref,
      ...(request.prefix ? { prefix: request.prefix } : {}),
      ...(request.blobCache ? { blobCache: request.blobCache } : {}),
    });
  const atX = await load(commitId);
  const declaration = atX.declarations.find((candidate) => candidate.id === resourceId);
  if (!declaration) {
    return { status: 'not-proposed', reason: `${resourceId} is not declared (without errors) at commit ${short}` };
  }

  const history = request.ledger ? await request.ledger.resourceHistory(resourceId, { limit: HISTORY_LIMIT }) : [];
  const previous = await choosePrevious(request, history);
  if (typeof previous === 'string') return { status: 'not-proposed', reason: previous };

  const paths = new Set(filesOf(declaration));
  if (previous.commitId !== commitId) {
    const atPrevious = await load(previous.commitId);
    const before = atPrevious.declarations.find((candidate) => candidate.id === resourceId);
    if (before) for (const path of filesOf(before)) paths.add(path);
  }

  const head = await source.resolveRef(request.branch);
  if (head !== commitId) {
    const changed = await source.changedFiles(commitId, head);
    const touched = changed
      .flatMap((change) => [change.path, ...(change.previousPath ? [change.previousPath] : [])])
      .filter((path) => paths.has(path));
    if (touched.length > 0) {
      return {
        status: 'not-proposed',
        reason: `${request.branch} changed ${[...new Set(touched)].sort().join(', ')} since ${short} (now at ${head.slice(0, SHORT)}): a newer commit supersedes the rolled-back one, so nothing is proposed`,
      };
    }
  }

  const files: ProposedFile[] = [];
  for (const path of [...paths].sort()) {
    const wanted = await readIfPresent(source, previous.commitId, path);
    const current = await readIfPresent(source, head, path);
    if (wanted !== current) files.push({ path, content: wanted });
  }
  if (files.length === 0) {
    return {
      status: 'not-proposed',
      reason: `${[...paths].sort().join(', ')} already read as at ${previous.commitId.slice(0, SHORT)} on ${request.branch}: nothing to revert`,
    };
  }

  const title = titleFor(declaration.document.metadata.name, previous.commitId);
  const branch = rollbackBranch(resourceId, commitId);
  const description = describe(request, declaration, previous, files, history);
  const result = await request.proposer.propose({
    branch,
    baseCommitId: head,
    targetBranch: request.branch,
    files,
    commitMessage: `${title}\n\nRestores ${files.map((file) => file.path).join(', ')} as of ${previous.commitId}: the deployment of ${commitId} to ${resourceId} was rolled back.`,
    title,
    description,
  });
  if (result.status === 'exists') return { status: 'exists', branch, previousCommitId: previous.commitId };
  return {
    status: 'opened',
    branch,
    commitId: result.commitId,
    ...(result.pullRequestId ? { pullRequestId: result.pullRequestId } : {}),
    previousCommitId: previous.commitId,
    title,
    files,
  };
}

/** CodeCommit takes titles of at most 150 characters; a long resource name is shortened, the rest kept. */
const MAX_TITLE = 150;

function titleFor(name: string, previousCommitId: string): string {
  const rest = ` to ${previousCommitId.slice(0, SHORT)}: deployment rolled back`;
  const room = MAX_TITLE - 'Revert '.length - rest.length;
  return `Revert ${name.length > room ? `${name.slice(0, room - 1)}…` : name}${rest}`;
}

interface Previous {
  readonly commitId: string;
  readonly why: string;
}

async function choosePrevious(request: RollbackRequest, history: readonly LedgerEntry[]): Promise<Previous | string> {
  const { source, commitId } = request;
  if (request.to !== undefined) {
    return { commitId: await source.resolveRef(request.to), why: 'the version asked for' };
  }
  // The newest outcome of each commit says how that commit ended for this resource.
  const seen = new Set<string>();
  for (const entry of history) {
    if (entry.kind !== 'outcome' || entry.dryRun === true || entry.commitId === commitId) continue;
    if (entry.result === 'skipped' || entry.result === 'dry-run') continue;
    if (seen.has(entry.commitId)) continue;
    seen.add(entry.commitId);
    if (entry.result === 'succeeded') {
      return {
        commitId: entry.commitId,
        why: `the newest commit the ledger records as deployed (entry ${entry.entryId})`,
      };
    }
  }
  const parent = (await source.commitInfo(commitId)).parents[0];
  if (!parent) return `commit ${commitId.slice(0, SHORT)} has no parent and the ledger records no earlier deployment`;
  return {
    commitId: parent,
    why: `the parent of ${commitId.slice(0, SHORT)} (the ledger records no earlier deployment)`,
  };
}

function filesOf(declaration: Declaration): string[] {
  return declaration.kind === 'CloudFormationStack'
    ? [declaration.location.file, declaration.template.path]
    : [declaration.location.file];
}

async function readIfPresent(source: GitSource, commitId: string, path: string): Promise<string | null> {
  const folder = posix.dirname(path);
  const entries = await source.listFiles(commitId, folder === '.' ? '' : folder);
  if (!entries.some((entry) => entry.path === path)) return null;
  return new TextDecoder().decode(await source.readFile(commitId, path));
}

function describe(
  request: RollbackRequest,
  declaration: Declaration,
  previous: Previous,
  files: readonly ProposedFile[],
  history: readonly LedgerEntry[],
): string {
  const { resourceId, commitId, rolledBack } = request;
  const short = commitId.slice(0, SHORT);
  const related = rolledBack
    ? history
        .filter((entry) => entry.runId === rolledBack.runId && entry.commitId === commitId)
        .map((entry) => entry.entryId)
    : [];
  const entryIds = [...new Set([...related, ...(rolledBack ? [rolledBack.entryId] : [])])].sort();
  const references = rolledBack?.references;
  const lines = [
    `${request.why ?? 'A rollback was asked for'}: commit ${commitId} is no longer what runs ${resourceId}.`,
    'This pull request makes Git say what AWS runs again.',
    '',
    `- Resource: ${resourceId} (${declaration.location.file})`,
    `- Rolled-back commit: ${commitId}`,
    `- Restores: ${files.map((file) => (file.content === null ? `${file.path} (deleted)` : file.path)).join(', ')}`,
    `- Previous version: ${previous.commitId} — ${previous.why}`,
    ...(references?.deploymentId ? [`- ECS deployment: ${references.deploymentId}`] : []),
    ...(references?.serviceArn ? [`- ECS service: ${references.serviceArn}`] : []),
    ...(references?.stackId ? [`- CloudFormation stack: ${references.stackId}`] : []),
    ...(rolledBack ? [`- Ledger run: ${rolledBack.runId}`] : []),
    ...(entryIds.length > 0 ? [`- Ledger entries: ${entryIds.join(', ')}`] : []),
    '',
    'To look:',
    `    driftless audit --resource ${resourceId}`,
    `    driftless audit --commit ${commitId}`,
    '',
    `driftless never merges this pull request: merge it to roll back in Git, or close it. Until a newer commit arrives, commit ${short} is not re-applied to ${resourceId}.`,
  ];
  return lines.join('\n');
}

/** The ledger outcome recording what the write-back did, linked to the rollback's entry: `skipped` (it is not a
 * second failure), and, by its reason prefix, still the memory that keeps the executor from re-applying the commit
 * (executor.ts, rolledBackReason). */
export async function recordWriteBack(
  ledger: AuditLedger,
  rolledBack: LedgerEntry,
  outcome: RollbackWriteBack | { readonly status: 'failed'; readonly reason: string },
  now: () => number = Date.now,
): Promise<LedgerEntry> {
  const time = new Date(now()).toISOString();
  const {
    entryId: _entryId,
    actionId: _actionId,
    time: _time,
    reason: _reason,
    errorCode,
    errorMessage,
    ...kept
  } = rolledBack;
  const pullRequestId = outcome.status === 'opened' ? outcome.pullRequestId : undefined;
  const entry: LedgerEntry = {
    ...kept,
    kind: 'outcome',
    entryId: newEntryId(time),
    time,
    actionId: newActionId(),
    result: 'skipped',
    ...(rolledBack.references || pullRequestId
      ? { references: { ...rolledBack.references, ...(pullRequestId ? { pullRequestId } : {}) } }
      : {}),
    reason: `${WRITE_BACK_REASON_PREFIX} ${writeBackSummary(outcome)}; rolled back in ${rolledBack.entryId}`,
  };
  await ledger.append(entry);
  return entry;
}

export function isWriteBackEntry(entry: LedgerEntry): boolean {
  return entry.reason?.startsWith(WRITE_BACK_REASON_PREFIX) === true;
}

export function writeBackSummary(
  outcome: RollbackWriteBack | { readonly status: 'failed'; readonly reason: string },
): string {
  switch (outcome.status) {
    case 'opened':
      return outcome.pullRequestId
        ? `pull request ${outcome.pullRequestId} (branch ${outcome.branch}) restores the files as of ${outcome.previousCommitId.slice(0, SHORT)}`
        : `branch ${outcome.branch} (commit ${outcome.commitId.slice(0, SHORT)}) restores the files as of ${outcome.previousCommitId.slice(0, SHORT)}`;
    case 'exists':
      return `branch ${outcome.branch} was proposed before`;
    case 'not-proposed':
      return `nothing proposed: ${outcome.reason}`;
    case 'failed':
      return `proposal failed: ${outcome.reason}`;
  }
}
