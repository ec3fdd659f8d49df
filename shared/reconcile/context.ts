/** A run's identity and clock, and the ledger context every entry of it carries: before the head is read (the
 * commit the event named stands in) and after (the commit read, who made it, and why). */
import { randomUUID } from 'node:crypto';
import type { RunContext } from '../audit/ledger.ts';
import type { Head } from './head.ts';
import type { ReconcileDependencies, ReconcileRequest } from './types.ts';

export interface RunStart {
  readonly request: ReconcileRequest;
  readonly deps: ReconcileDependencies;
  readonly runId: string;
  /** The run's clock in milliseconds (break-glass pauses are read against it). */
  readonly clock: () => number;
  /** The run's clock as the ledger records time. */
  readonly now: () => string;
  /** The context of a run entry made before the head is read: a run skipped by the lock, or failed. */
  readonly eventContext: Omit<RunContext, 'commitMessage'>;
}

/** A run that holds its lease: its ledger fenced by it (when the lock and the ledger can fence). */
export interface LeasedRun extends RunStart {
  /** Rejects once the lease is lost: checked before every write whose intent is not fenced, and before retries. */
  readonly guard: () => Promise<void>;
  /** Whether the ledger refuses the run's entries once another run took the lease (shared/audit/fence.ts): a fenced
   * intent then proves the lease still the run's as it is stored, so it stands in for the guard before a write. */
  readonly fencedIntents: boolean;
}

/** A run that holds its lease and has read its head: what every step after that needs. */
export interface ActiveRun extends LeasedRun {
  /** The context of every entry the run makes from here on. */
  readonly context: RunContext;
}

export function startRun(request: ReconcileRequest, deps: ReconcileDependencies): RunStart {
  const clock = () => (deps.now ?? Date.now)();
  const runId = request.runId ?? `run-${new Date(clock()).toISOString()}-${randomUUID().slice(0, 8)}`;
  return {
    request,
    deps,
    runId,
    clock,
    now: () => new Date(clock()).toISOString(),
    eventContext: { ...baseContext(runId, request), commitId: request.eventCommitId ?? 'unknown' },
  };
}

/** The run's context once its head is read: the commit it applies, and who made it. */
export function runContext(run: RunStart, head: Head): RunContext {
  return {
    ...baseContext(run.runId, run.request),
    commitId: head.commitId,
    commitAuthor: `${head.commit.author.name} <${head.commit.author.email}>`,
    commitCommitter: `${head.commit.committer.name} <${head.commit.committer.email}>`,
    commitMessage: head.commit.message,
  };
}

function baseContext(runId: string, request: ReconcileRequest) {
  return {
    runId,
    trigger: request.trigger,
    repository: request.repository,
    branch: request.branch,
    ...(request.pushedBy ? { pushedBy: request.pushedBy } : {}),
    ...(request.manualChange
      ? { changedBy: request.manualChange.changedBy, apiCall: request.manualChange.apiCall }
      : {}),
    dryRun: request.dryRun ?? false,
  };
}
