/**
 * Records how a deployment driftless started ended, once its event is read (deployment-outcome.ts), in the ledger
 * (shared/audit/deployment-outcomes.ts).
 *
 * - Only deployments driftless started: one the ledger does not reference (not ours) is ignored with a log line, as
 *   is one whose end is recorded already (a repeated event). Nothing else reads or writes AWS.
 * - `rolled-back` marks the commit as rolled back for that resource: the executor skips it until a new commit.
 * - Rollback write-back (when a proposer is given): after `rolled-back` is recorded, a pull request restores the
 *   resource's declaration files to their previous version (shared/writeback/rollback.ts); driftless never merges it.
 *   What it did is one more ledger outcome (still `rolled-back`, reason `rollback write-back: …`). A retried or
 *   repeated event whose rollback is recorded but whose write-back is not makes the write-back then; once it is
 *   recorded, a repeat is ignored. The proposal's branch is deterministic, so even a crash between the pull request
 *   and its ledger entry opens one pull request. A terminal failure to propose is logged and recorded, not retried.
 * - Rollout Failed is announced for failed and rolled-back deployments (with the write-back's pull request or
 *   branch), once the write-back is done; the caller publishes it, since notifications sit above this layer.
 *
 * - When the ledger outcome that started the deployment references its ECS service deployment (the ECS writer records
 *   it), the result is the service deployment's own (DescribeServiceDeployments): SUCCESSFUL → succeeded,
 *   ROLLBACK_SUCCESSFUL or a rollback under way → rolled-back, ROLLBACK_FAILED → failed, STOPPED → failed when a
 *   monitor tripped, else superseded (nothing recorded: the newer deployment's end is what counts); its stage,
 *   rollback and alarms go into the reason. Still in progress, or unreadable for a terminal reason, the event's
 *   words decide as for an entry without one.
 *
 * Failures the caller hands back for a retry (ledger or ECS throttling and 5xx, a ledger write that failed) are
 * rethrown; a retried event records once, because a recorded end makes the next delivery a repeat.
 */
import { type DeploymentResult, findDeploymentOrigin, recordDeploymentOutcome } from '../audit/deployment-outcomes.ts';
import type { AuditLedger, LedgerEntry } from '../audit/ledger.ts';
import type { EcsLiveReader } from '../live/ecs.ts';
import { describeRollout, isRollingBack, type Rollout, type RolloutReader } from '../live/rollouts.ts';
import type { GitSource } from '../source/git-source.ts';
import type { ChangeProposer } from '../writeback/proposals.ts';
import { isWriteBackEntry, type RollbackWriteBack, recordWriteBack, writeBackRollback } from '../writeback/rollback.ts';
import { type DeploymentObservation, type EcsServiceName, rollsBackFailedDeployments } from './deployment-outcome.ts';

export type RecordedDeploymentOutcome =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | {
      readonly outcome: 'recorded';
      readonly resourceId: string;
      readonly commitId: string;
      readonly result: DeploymentResult;
      readonly entryId: string;
      /** What the rollback write-back did, when the deployment was rolled back and a proposer is configured. */
      readonly rollbackProposal?: RollbackProposalSummary;
    };

export interface RollbackProposalSummary {
  readonly status: RollbackWriteBack['status'] | 'failed';
  readonly branch?: string;
  readonly pullRequestId?: string;
  readonly reason?: string;
  /** The ledger entry recording it. */
  readonly entryId: string;
}

/** What Rollout Failed announces (shared/notify/events.ts, rolloutFailedEvent). */
export interface RolloutFailure {
  readonly entry: LedgerEntry;
  readonly result: Exclude<DeploymentResult, 'succeeded'>;
  readonly resourceArn: string;
  readonly rollbackProposal?: Omit<RollbackProposalSummary, 'entryId'>;
}

export interface DeploymentOutcomeLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** The caller's word on failures (functions/errors.ts): which go back for a retry of the whole event, and how a log
 * line shows one. */
export interface FailurePolicy {
  isRethrown(error: unknown): boolean;
  summarizeError(error: unknown): unknown;
}

export interface DeploymentOutcomeDependencies {
  readonly ledger: AuditLedger;
  readonly ecs: Pick<EcsLiveReader, 'deploymentConfiguration'>;
  /** Reads the service deployment the ledger references; without it the event's words decide. */
  readonly rollouts?: Pick<RolloutReader, 'byArn'>;
  /** The configuration repository the rollback write-back restores files from. */
  readonly source: GitSource;
  /** Opens the rollback write-back's pull request; without it nothing is written back. */
  readonly proposer?: ChangeProposer;
  /** The tracked branch. */
  readonly branch: string;
  /** The folder holding driftless.yaml. */
  readonly prefix: string;
  readonly blobCache?: Map<string, string>;
  readonly now?: () => number;
  readonly logger: DeploymentOutcomeLogger;
  readonly failures: FailurePolicy;
  /** Publishes Rollout Failed. */
  readonly announce: (failure: RolloutFailure) => Promise<unknown>;
}

/** Records observations; `log` is the event's attributes, added to every log line. */
export function createDeploymentOutcomeRecorder(
  deps: DeploymentOutcomeDependencies,
): (observation: DeploymentObservation, log: Record<string, unknown>) => Promise<RecordedDeploymentOutcome> {
  const { logger, failures } = deps;

  async function rollbackConfigured(service: EcsServiceName): Promise<boolean> {
    try {
      return rollsBackFailedDeployments(await deps.ecs.deploymentConfiguration(service.cluster, service.name));
    } catch (error) {
      // A passing failure is retried with the whole event; anything else records the failure without the detail.
      if (failures.isRethrown(error)) throw error;
      logger.warn('cannot tell whether ECS rolled the deployment back; recorded as failed', {
        cluster: service.cluster,
        service: service.name,
        error: failures.summarizeError(error),
      });
      return false;
    }
  }

  /** The service deployment the origin references, when there is one and it can be read. */
  async function rolloutOf(origin: LedgerEntry, log: Record<string, unknown>): Promise<Rollout | undefined> {
    const arn = origin.references?.serviceDeploymentArn;
    if (!arn || !deps.rollouts) return undefined;
    try {
      return await deps.rollouts.byArn(arn);
    } catch (error) {
      if (failures.isRethrown(error)) throw error;
      logger.warn('cannot read the service deployment; the event decides', {
        ...log,
        serviceDeploymentArn: arn,
        error: failures.summarizeError(error),
      });
      return undefined;
    }
  }

  async function decide(observation: DeploymentObservation): Promise<DeploymentResult> {
    if (typeof observation.result === 'string') return observation.result;
    return (await rollbackConfigured(observation.result.service)) ? 'rolled-back' : 'failed';
  }

  /**
   * Proposes the rollback in Git and records what happened. Retryable failures are rethrown (the whole event is
   * retried, and the retry finds the rollback recorded without its write-back); terminal ones are recorded.
   */
  async function writeBack(rolledBack: LedgerEntry, why: string): Promise<RollbackProposalSummary | undefined> {
    const proposer = deps.proposer;
    if (!proposer || !rolledBack.resourceId) return undefined;
    const now = deps.now ?? Date.now;
    let outcome: RollbackWriteBack | { readonly status: 'failed'; readonly reason: string };
    try {
      outcome = await writeBackRollback({
        source: deps.source,
        proposer,
        ledger: deps.ledger,
        resourceId: rolledBack.resourceId,
        commitId: rolledBack.commitId,
        branch: deps.branch,
        prefix: deps.prefix,
        rolledBack,
        why,
        ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
      });
    } catch (error) {
      if (failures.isRethrown(error)) throw error;
      logger.error('rollback write-back failed; not retried: retrying cannot change this', {
        resourceId: rolledBack.resourceId,
        commitId: rolledBack.commitId,
        error: failures.summarizeError(error),
      });
      outcome = { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
    }
    const entry = await recordWriteBack(deps.ledger, rolledBack, outcome, now);
    const line = {
      resourceId: rolledBack.resourceId,
      commitId: rolledBack.commitId,
      status: outcome.status,
      entryId: entry.entryId,
      ...(outcome.status === 'opened' || outcome.status === 'exists' ? { branch: outcome.branch } : {}),
      ...(outcome.status === 'opened' && outcome.pullRequestId ? { pullRequestId: outcome.pullRequestId } : {}),
    };
    if (outcome.status === 'opened') logger.info('rollback written back to Git', line);
    else logger.warn('rollback not written back to Git', { ...line, reason: entry.reason });
    return {
      status: outcome.status,
      entryId: entry.entryId,
      ...(outcome.status === 'opened' || outcome.status === 'exists' ? { branch: outcome.branch } : {}),
      ...(outcome.status === 'opened' && outcome.pullRequestId ? { pullRequestId: outcome.pullRequestId } : {}),
      ...(outcome.status === 'not-proposed' || outcome.status === 'failed' ? { reason: outcome.reason } : {}),
    };
  }

  return async (observation, log) => {
    const origin = await findDeploymentOrigin(deps.ledger, observation.resourceId, observation.references);
    if (
      origin.kind === 'recorded' &&
      origin.entry.result === 'rolled-back' &&
      deps.proposer &&
      !isWriteBackEntry(origin.entry)
    ) {
      // The rollback was recorded, but its write-back was not (an earlier delivery failed after recording it).
      const proposal = await writeBack(origin.entry, observation.rollbackWhy);
      await deps.announce({
        entry: origin.entry,
        result: 'rolled-back',
        resourceArn: observation.resourceArn,
        ...announced(proposal),
      });
      logger.warn('rollback write-back made for a rollback recorded earlier', {
        ...log,
        commitId: origin.entry.commitId,
        entryId: origin.entry.entryId,
      });
      return {
        outcome: 'recorded',
        resourceId: observation.resourceId,
        commitId: origin.entry.commitId,
        result: 'rolled-back',
        entryId: origin.entry.entryId,
        ...(proposal ? { rollbackProposal: proposal } : {}),
      };
    }
    if (origin.kind !== 'ours') {
      const reason =
        origin.kind === 'unknown'
          ? `${observation.describe} was not started by driftless`
          : isWriteBackEntry(origin.entry)
            ? `${observation.describe} ended already: rolled back and written back to Git in ${origin.entry.entryId}`
            : `${observation.describe} ended already: recorded ${origin.entry.result} in ${origin.entry.entryId}`;
      logger.info('deployment event ignored', { ...log, reason });
      return { outcome: 'ignored', reason };
    }
    const rollout = await rolloutOf(origin.entry, log);
    const fromRollout = rollout ? rolloutResult(rollout) : undefined;
    if (fromRollout === 'superseded') {
      const reason = `${observation.describe} was superseded by a newer deployment (${describeRollout(rollout as Rollout)})`;
      logger.info('deployment event ignored', { ...log, reason });
      return { outcome: 'ignored', reason };
    }
    const result = fromRollout ?? (await decide(observation));
    const read = rollout ? `${observation.reason}; service deployment ${describeRollout(rollout)}` : observation.reason;
    const rollbackWhy =
      rollout?.alarms && rollout.alarms.triggeredAlarmNames.length > 0
        ? `The CloudWatch alarms ${rollout.alarms.triggeredAlarmNames.join(', ')} rolled back ${observation.describe}`
        : observation.rollbackWhy;
    const entry = await recordDeploymentOutcome(deps.ledger, origin.entry, {
      result,
      reason:
        result === 'rolled-back'
          ? `${read} — rolled back; commit ${origin.entry.commitId.slice(0, 12)} is not applied to this resource again until a new commit`
          : read,
      ...(deps.now ? { now: deps.now } : {}),
    });
    const proposal = result === 'rolled-back' ? await writeBack(entry, rollbackWhy) : undefined;
    if (result !== 'succeeded') {
      await deps.announce({ entry, result, resourceArn: observation.resourceArn, ...announced(proposal) });
    }
    const line = { ...log, commitId: entry.commitId, runId: entry.runId, result, entryId: entry.entryId };
    if (result === 'succeeded') logger.info('deployment outcome recorded', line);
    else logger.warn('deployment outcome recorded', line);
    return {
      outcome: 'recorded',
      resourceId: observation.resourceId,
      commitId: entry.commitId,
      result,
      entryId: entry.entryId,
      ...(proposal ? { rollbackProposal: proposal } : {}),
    };
  };
}

/** What a service deployment says about the write's end: undefined while it is under way and not rolling back. */
function rolloutResult(rollout: Rollout): DeploymentResult | 'superseded' | undefined {
  if (rollout.result === 'in-progress') return isRollingBack(rollout) ? 'rolled-back' : undefined;
  return rollout.result;
}

/** Rollout Failed shows what the write-back did, not the ledger entry recording it. */
function announced(proposal: RollbackProposalSummary | undefined): Pick<RolloutFailure, 'rollbackProposal'> {
  if (!proposal) return {};
  const { entryId: _entryId, ...rest } = proposal;
  return { rollbackProposal: rest };
}
