/** What a reconcile run is asked and answers, and the ports it runs on: the request, its dependencies (the lock
 * among them), and the result the handlers, the CLI and the events read. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ApplyResult, applyPlan } from '../apply/executor.ts';
import type { LedgerFence } from '../audit/fence.ts';
import type { AuditLedger, Trigger } from '../audit/ledger.ts';
import type { ActivePause } from '../audit/pauses.ts';
import type { LiveReaders } from '../live/read.ts';
import type { Plan } from '../plan/plan.ts';
import type { GitSource } from '../source/git-source.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import type { DriftPolicy } from '../spec/schema.ts';
import type { AdoptedDrift } from '../writeback/adopt.ts';
import type { ChangeProposer } from '../writeback/proposals.ts';

export type { AdoptedDrift } from '../writeback/adopt.ts';

import type { AppliedCommits } from '../lock/applied-commit.ts';

/** What a run needs of the lock: a lease it can check before each write and give back at the end. */
export interface RunLock {
  acquire(key: { repository: string; branch: string }, owner: string): Promise<RunLease | undefined>;
}
export interface RunLease {
  /** What the run's ledger appends are conditioned on; without one (an in-memory lock) they are not fenced. */
  readonly fence?: LedgerFence;
  assertHeld(): Promise<void>;
  release(): Promise<void>;
  /** Renews the lease on a timer; answers the function that stops it. */
  startAutoRenew(intervalMs: number): () => void;
}

export interface ReconcileDependencies {
  readonly source: GitSource;
  readonly ecs: ECSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ledger: AuditLedger;
  readonly lock: RunLock;
  /** Readers to reuse across runs (their task-definition and template caches); built from the clients if absent. */
  readonly readers?: LiveReaders;
  /** File texts by blob id, kept by a warm process so a run reads only what changed. */
  readonly blobCache?: Map<string, string>;
  /** Writes proposals back to Git as pull requests (drift adoption); without it, adopt falls back to alert. */
  readonly proposer?: ChangeProposer;
  /** The branch's last fully applied commit: a push scopes from it, so no earlier commit's files are skipped.
   * Without it, a push scopes from the event's previous head. */
  readonly appliedCommits?: AppliedCommits;
  /** How many runs read and write side by side against the account's ECS rates (the sweep-shard workers): apply
   * paces its reads and writes at 1/rateShare of what one run allows itself (workerRates in scope.ts). The live
   * readers get their share where they are built. Default 1. */
  readonly rateShare?: number;
  readonly now?: () => number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/** A change made outside Git that a manual-change run answers, from its CloudTrail event. */
export interface ManualChange {
  /** The identity (IAM ARN) that made the change. */
  readonly changedBy: string;
  /** `<service>:<EventName>`, e.g. ecs:UpdateService. */
  readonly apiCall: string;
  /** The CloudTrail event id. */
  readonly eventId: string;
  /** When the change was made (CloudTrail eventTime). */
  readonly eventTime: string;
}

export interface ReconcileRequest {
  /** Repository name as the ledger records it. */
  readonly repository: string;
  readonly branch: string;
  /** Folder holding driftless.yaml. */
  readonly prefix?: string;
  readonly trigger: Trigger;
  readonly installationId: string;
  /** The commit the triggering event named: recorded, never applied; the run applies the head it reads. */
  readonly eventCommitId?: string;
  /** Reconcile only the declarations whose files changed since this commit (a push's previous head); the sweep
   * reconciles everything and is the only run that prunes. Unknown or unrelated history means a full run. */
  readonly changedSince?: string;
  readonly pushedBy?: string;
  readonly dryRun?: boolean;
  readonly allowEmpty?: boolean;
  readonly runId?: string;
  /** What the deployment allows, whatever driftless.yaml says: targets are confined twice. */
  readonly limits?: DeploymentLimits;
  /** The CloudFormation service role stacks use when their declaration names none. */
  readonly defaultStackRoleArn?: string;
  /** One shard of a fanned-out sweep: only its declarations, under its own lease, never pruning. */
  readonly shard?: Shard;
  /** Reconcile only these resources (ids such as EcsService:prod/web, or `<Kind>:*`): a manual-change run's target.
   * Never prunes. */
  readonly resources?: readonly string[];
  /** The manual change a `manual-change` run answers: who and which call, recorded in every entry of the run. */
  readonly manualChange?: ManualChange;
  /** Apply options passed through (retry pacing in tests, change-set polling). */
  readonly applyOptions?: Parameters<typeof applyPlan>[0]['options'];
}

/** A slice of the declarations: one cluster's services (or the stacks), split further by a stable hash. */
export interface Shard {
  /** A cluster name, or 'stacks' for the CloudFormation stacks. */
  readonly group: string;
  /** 0-based index of this shard within its group. */
  readonly index: number;
  /** How many shards the group is split into (1 = the whole group). */
  readonly count: number;
}

export interface DeploymentLimits {
  /** ECS clusters (names) the installation may touch. */
  readonly allowedClusters?: readonly string[];
  /** Where the deployment runs: a cluster written as an ARN must name this partition, account and region. A part
   * left out is not known (the CLI against a local endpoint) and not checked; a cluster name always lies inside. */
  readonly partition?: string;
  readonly account?: string;
  readonly region?: string;
  /** Stack names must start with this. */
  readonly stackNamePrefix?: string;
  /** CloudFormation resource types (patterns, shared/spec/resource-types.ts) the installation's stacks may declare;
   * a stack's template must be allowed by these and by driftless.yaml. Unset: not bounded here (the CLI); empty: a
   * stack may declare no type. */
  readonly allowedResourceTypes?: readonly string[];
  /** Stacks outside stackNamePrefix whose outputs `${stack:…}` references may read. When this or stackNamePrefix is
   * set, a reference must read a stack one of them allows. */
  readonly readStacks?: readonly string[];
  /** false: drift found by a sweep is recorded and announced, never reverted (drift policy revert becomes alert;
   * adopt stays allowed, since it writes only to Git). */
  readonly selfHeal?: boolean;
  /** false: nothing is pruned, whatever driftless.yaml says. */
  readonly prune?: boolean;
}

/**
 * What a run did, in one word (README "What each run result means"); every view says the same word:
 * - `applied`: at least one change made and none failed; changes held by this run are listed in `held`.
 * - `in-sync`: nothing to do at all: no change found, none held, none waiting.
 * - `held`: changes found, none made and none failed: each one held on purpose (a pause, a drift policy alert or
 *   adopt, a commit the circuit breaker rolled back, a stack still changing), each with its reason in `held`.
 * - `dry-run`: a dry run: nothing written; `reason` says what it would apply.
 * - `partial`: some changes made, and something failed or was refused, or a declaration has errors.
 * - `failed`: nothing made, and something failed or was refused, or a declaration has errors (or the run stopped).
 * - `skipped`: another run holds the lock for the repository and branch; it reconciles to the newest head.
 */
export type ReconcileStatus = 'applied' | 'in-sync' | 'held' | 'dry-run' | 'partial' | 'failed' | 'skipped';

/** A change a run found and left in place on purpose, and why. */
export interface HeldChange {
  readonly resourceId: string;
  readonly reason: string;
}

export interface ReconcileResult {
  readonly runId: string;
  readonly status: ReconcileStatus;
  readonly commitId?: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly plan?: Plan;
  readonly apply?: ApplyResult;
  /** Why a run was skipped, held or failed, what a dry run would apply, and what an applied run held, in a sentence. */
  readonly reason?: string;
  /** Every change the run left in place on purpose (outcome skipped or waiting), with its reason. */
  readonly held?: readonly HeldChange[];
  /** Resources whose drift (or, on a push, whose changes) the run found and left in place: drift policy alert or
   * adopt, or a break-glass pause. */
  readonly driftHeld?: readonly string[];
  /** The second plan of the run: services that waited for the stacks they reference, planned again once those
   * stacks were stable (their results are merged into `apply`). */
  readonly afterStacks?: Plan;
  /** Resources whose drift was proposed back to Git as a pull request (drift policy adopt). */
  readonly driftAdopted?: readonly AdoptedDrift[];
  /** The drift policy each drifted resource was handled under (sweeps and manual-change runs). */
  readonly driftPolicies?: Readonly<Record<string, DriftPolicy | 'paused'>>;
  /** Break-glass pauses active during the run. */
  readonly pauses?: readonly ActivePause[];
}
