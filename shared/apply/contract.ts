/** What applyPlan is given and what it answers: the plan and its clients, the options and rates, and a result per
 * resource. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AuditLedger, AwsReferences, RunContext } from '../audit/ledger.ts';
import type { EcsReadRates, RateLimit } from '../live/ecs.ts';
import type { LiveState } from '../plan/live-state.ts';
import type { Plan } from '../plan/plan.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { ResourceKind } from '../spec/schema.ts';

export type ResourceOutcome = 'applied' | 'in-sync' | 'failed' | 'refused' | 'skipped' | 'waiting' | 'dry-run';

export const RESOURCE_OUTCOMES: readonly ResourceOutcome[] = [
  'applied',
  'in-sync',
  'failed',
  'refused',
  'skipped',
  'waiting',
  'dry-run',
];

export interface ResourceError {
  readonly name: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface ResourceResult {
  readonly id: string;
  readonly kind: ResourceKind;
  readonly outcome: ResourceOutcome;
  /** Why it was refused, skipped, waited for or found in sync, in a sentence. */
  readonly reason?: string;
  readonly error?: ResourceError;
  /** What the writes made or touched: task definition, service, deployment, change set, stack. */
  readonly references?: AwsReferences;
}

export interface ApplyResult {
  readonly commitId: string;
  readonly dryRun: boolean;
  /** One per resource of the plan, in plan order. */
  readonly resources: readonly ResourceResult[];
  readonly counts: Readonly<Record<ResourceOutcome, number>>;
}

/** Write rates apply allows itself. */
export interface WriteRates {
  /** CreateService, UpdateService, DeleteService, TagResource, UntagResource. */
  readonly serviceWrites?: RateLimit;
  readonly registerTaskDefinition?: RateLimit;
  /** CreateChangeSet, ExecuteChangeSet, DeleteChangeSet, DeleteStack. */
  readonly cloudFormationWrites?: RateLimit;
}

/** Below the published ECS limits (ECS_RATE_LIMITS: 50 then 5/s; 20 then 1/s), so other tools keep headroom.
 * CloudFormation publishes no per-API limits; its writes are paced conservatively too. */
export const APPLY_WRITE_RATES = {
  serviceWrites: { capacity: 40, refillPerSecond: 4 },
  registerTaskDefinition: { capacity: 15, refillPerSecond: 0.8 },
  cloudFormationWrites: { capacity: 10, refillPerSecond: 2 },
} as const satisfies Required<WriteRates>;

export const APPLY_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  changeSetPollMs: 1_000,
  changeSetMaxPolls: 30,
  concurrency: 8,
  stackStablePollMs: 5_000,
  stackStableMaxPolls: 24,
} as const;

export interface ApplyOptions {
  /** The CloudFormation service role for stacks whose declaration names none (the installation's own). */
  readonly defaultStackRoleArn?: string;
  /** Make no AWS write: record an intent with result 'dry-run' for each write that would be made. Defaults to
   * run.dryRun. */
  readonly dryRun?: boolean;
  /** Accepted, but replacing a resource is not supported yet: replace-required is always refused. */
  readonly allowReplace?: boolean;
  /** Let a prune leave no managed resource. */
  readonly allowEmpty?: boolean;
  /** How many live resources this installation manages (the orphan listing's count); the prune guards need it,
   * and without it nothing is pruned. */
  readonly managedCount?: number;
  /** Attempts per AWS call, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^n)) (defaults 200 and 20000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** DescribeChangeSet every changeSetPollMs, at most changeSetMaxPolls times (defaults 1000 and 30). */
  readonly changeSetPollMs?: number;
  readonly changeSetMaxPolls?: number;
  /** Resources applied at once within a wave (default 8). */
  readonly concurrency?: number;
  /** For reconcile's second pass (services waiting for stacks they reference): DescribeStacks every
   * stackStablePollMs, at most stackStableMaxPolls times, until the stacks applied are stable (defaults 5000, 24: two minutes, inside the push function's five). */
  readonly stackStablePollMs?: number;
  readonly stackStableMaxPolls?: number;
}

export interface ApplyInput {
  readonly plan: Plan;
  /** The snapshot the plan was built from (same commit). */
  readonly snapshot: RepositorySnapshot;
  /** The live state the plan was built from. */
  readonly live: LiveState;
  readonly clients: { readonly ecs: ECSClient; readonly cloudFormation: CloudFormationClient };
  readonly ledger: AuditLedger;
  readonly run: RunContext;
  readonly installationId: string;
  readonly options?: ApplyOptions;
  /** Called before every AWS write (the run lock's assertHeld). When it throws, no further write is started. */
  readonly guard?: () => Promise<void>;
  /** The ledger refuses intents once the run's lease is taken (a fenced ledger, shared/audit/fence.ts): storing a
   * write's intent then checks the lease in the same DynamoDB call, so the guard is called only before retries. */
  readonly fencedIntents?: boolean;
  readonly rates?: WriteRates;
  /** The ECS reads apply makes around its writes (an equal revision, a settled deployment); ECS_CLIENT_RATES when
   * absent. */
  readonly readRates?: EcsReadRates;
  /** Clock in milliseconds (ledger times, durations, token buckets). */
  readonly now?: () => number;
  /** How backoff, polling and token buckets wait; tests pass a virtual one. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Random number in [0, 1) for backoff jitter. */
  readonly random?: () => number;
}
