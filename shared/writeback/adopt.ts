/** Drift adoption (`sync.drift: adopt`): a drifted resource's live values proposed back to Git as a pull request,
 * on a branch named by the drift so the same drift is proposed once. */
import { createHash } from 'node:crypto';
import type { RunContext } from '../audit/ledger.ts';
import { DriftlessError, isLedgerFailure } from '../errors.ts';
import type { FieldChange } from '../plan/diff.ts';
import type { LiveState } from '../plan/live-state.ts';
import type { Action } from '../plan/plan.ts';
import type { GitSource } from '../source/git-source.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { ChangeProposer } from './proposals.ts';
import { adoptionFiles, maskedChanges } from './yaml.ts';

export interface AdoptedDrift {
  readonly resourceId: string;
  readonly branch: string;
  /** CodeCommit's pull request id; absent for a local repository (the branch is the proposal). */
  readonly pullRequestId?: string;
  /** 'opened' now, or 'exists': the same drift was proposed before. */
  readonly status: 'opened' | 'exists';
}

/** What adopting needs of the run that found the drift. */
export interface AdoptionContext {
  /** Writes the proposal; without one, adopt falls back to alert. */
  readonly proposer?: ChangeProposer;
  /** Reads the declaration file to write the live values into. */
  readonly source: Pick<GitSource, 'readFile'>;
  /** The declarations the plan diffed (references resolved), and the live state it read. */
  readonly snapshot: RepositorySnapshot;
  readonly live: LiveState;
  /** The run: its id, the commit it read (the proposal's base), the tracked branch (its target), and on a
   * manual-change run who made the change and with which call. */
  readonly run: RunContext;
  /** When the manual change was made (CloudTrail eventTime), on a manual-change run. */
  readonly changedAt?: string;
}

/** The branch an adoption is proposed on: the same drift always gives the same branch, so it is proposed once. */
export function adoptionBranch(resourceId: string, changes: readonly FieldChange[]): string {
  const slug = resourceId
    .replace(/^[A-Za-z]+:/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  const hash = createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 8);
  return `driftless/adopt/${slug}-${hash}`;
}

function showValue(value: unknown): string {
  return value === undefined ? '(not set)' : JSON.stringify(value);
}

/** Proposes a drifted resource's live values back to Git; answers why (for the ledger) and what was proposed. A
 * resource that cannot be adopted (no proposer, a masked value, a path the declaration cannot hold) falls back to
 * alert: recorded and announced, not reverted. */
export async function adoptDrift(
  action: Action,
  input: AdoptionContext,
): Promise<{ reason: string; adopted?: AdoptedDrift }> {
  const fallback = (why: string) => ({
    reason: `drift detected; drift policy adopt, but ${why}: falling back to alert, so it is recorded and announced, not reverted`,
  });
  const proposer = input.proposer;
  if (!proposer) return fallback('no change proposer is configured');
  const masked = maskedChanges(action.changes);
  if (masked.length > 0) {
    return fallback(
      `the live value of ${masked.map((change) => change.path).join(', ')} is masked (secret-looking) and is never written to Git`,
    );
  }
  // A declared value that came from a stack output: writing the live value there would replace the reference.
  const fromOutputs = (action.resolved ?? []).filter((reference) =>
    action.changes.some((change) => JSON.stringify(change.after ?? null).includes(reference.value)),
  );
  if (fromOutputs.length > 0) {
    return fallback(
      `${fromOutputs.map((reference) => reference.reference).join(', ')} would be replaced by a literal value; change the stack's output in Git instead`,
    );
  }
  const declaration = input.snapshot.declarations.find((candidateDeclaration) => candidateDeclaration.id === action.id);
  if (!declaration) return fallback('the resource has no declaration');
  let files: { path: string; content: string }[];
  try {
    const text = new TextDecoder().decode(await input.source.readFile(input.run.commitId, declaration.location.file));
    const live = input.live.resources.get(action.id);
    files = adoptionFiles({
      declaration,
      text,
      changes: action.changes,
      ...(live?.kind === 'CloudFormationStack' && live.templateBody !== undefined
        ? { liveTemplateBody: live.templateBody }
        : {}),
    });
  } catch (error) {
    if (error instanceof DriftlessError) throw error;
    return fallback(`its live values cannot be written into ${declaration.location.file}: ${(error as Error).message}`);
  }
  const branch = adoptionBranch(action.id, action.changes);
  const name = declaration.document.metadata.name;
  const count = action.changes.length;
  const who = input.run.changedBy
    ? `Changed by ${input.run.changedBy}${input.run.apiCall ? ` (${input.run.apiCall})` : ''}${input.changedAt !== undefined ? ` at ${input.changedAt}` : ''}.`
    : 'Found by the drift sweep; who made the change is not known (see CloudTrail).';
  const description = [
    `driftless found ${action.id} changed outside Git and its drift policy is adopt: this pull request writes the live values into ${files.map((file) => file.path).join(' and ')}, so the change becomes Git. Merge it to keep the change; close it and set the policy to revert to undo it.`,
    '',
    who,
    '',
    '| field | live (proposed) | Git (now) |',
    '| --- | --- | --- |',
    ...action.changes.map(
      (change) => `| \`${change.path}\` | \`${showValue(change.before)}\` | \`${showValue(change.after)}\` |`,
    ),
  ].join('\n');
  const title = `Adopt live ${name}: ${count} field${count === 1 ? '' : 's'} changed outside Git`;
  let result: Awaited<ReturnType<typeof proposer.propose>>;
  try {
    result = await proposer.propose({
      branch,
      baseCommitId: input.run.commitId,
      targetBranch: input.run.branch,
      files,
      commitMessage: `${title}\n\nProposed by driftless (run ${input.run.runId}).`,
      title,
      description,
    });
  } catch (error) {
    // The next sweep proposes the same branch again; a repository that refuses now must not fail the whole sweep.
    if (isLedgerFailure(error)) throw error;
    return fallback(
      `the pull request could not be opened (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
    );
  }
  if (result.status === 'exists') {
    return {
      reason: `drift adopted: already proposed on ${result.branch}`,
      adopted: { resourceId: action.id, branch: result.branch, status: 'exists' },
    };
  }
  return {
    reason: result.pullRequestId
      ? `drift adopted: pull request ${result.pullRequestId} opened on ${result.branch}`
      : `drift adopted: proposed on branch ${result.branch}`,
    adopted: {
      resourceId: action.id,
      branch: result.branch,
      status: 'opened',
      ...(result.pullRequestId ? { pullRequestId: result.pullRequestId } : {}),
    },
  };
}
