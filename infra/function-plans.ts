/** What each driftless function is given: its timeout, how Lambda retries and serializes it, whether its failed
 * events are kept, and the grants of its role. The Driftless construct (infra/driftless.ts) creates the functions. */
import { Duration } from 'aws-cdk-lib';
import type { SourceHost } from '../functions/environment.ts';
import type { FunctionName } from './bundling.ts';

export type Grant =
  | 'readTargets'
  | 'describeServices'
  | 'readRollouts'
  | 'writeTargets'
  | 'readRepository'
  | 'comment'
  | 'proposeChanges'
  | 'ledger'
  | 'lease'
  | 'publishEvents'
  | 'queryLedger';

export interface FunctionPlan {
  readonly description: string;
  readonly timeout: Duration;
  /** Serialize runs of this function (see DriftlessStack's constructor). */
  readonly serialize: boolean;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** Whether events Lambda gives up on go to the failed-invocations queue. */
  readonly keepFailedEvents: boolean;
  /** Invoked by an SQS event source whose dead-letter queue keeps the messages it fails on. */
  readonly queueSourced?: boolean;
  readonly grants: readonly Grant[];
  /** Created only when the sweep fans out (sweepShardSize above 0). */
  readonly fanOutOnly?: boolean;
  /** Created only for these sources; every source when absent. */
  readonly sources?: readonly SourceHost[];
}

/** Whether the events a function fails on end in a dead-letter queue with its own alarm. */
export const failuresQueued = (plan: FunctionPlan): boolean => plan.keepFailedEvents || plan.queueSourced === true;

/** How many webhook workers run side by side: the least an SQS event source allows. Pushes still run one at a time
 * (the lease; a push that finds it held is applied by the run holding it), while a pull request's plan need not wait
 * behind a long apply. */
export const WEBHOOK_WORKERS = 2;

export const FUNCTION_PLANS: Record<FunctionName, FunctionPlan> = {
  push: {
    description: 'driftless: reconciles the tracked branch after a push',
    timeout: Duration.minutes(5),
    serialize: true,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents'],
    // GitHub and GitLab pushes arrive through the webhook worker.
    sources: ['codecommit'],
  },
  'manual-change': {
    description: 'driftless: reconciles a managed resource seconds after a manual change (CloudTrail write calls)',
    timeout: Duration.minutes(5),
    // One at a time: a burst of changes to one resource is taken in order and answered by one run (the others are
    // coalesced), and the write token buckets stay per process.
    serialize: true,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // What a sweep does, for the changed resource; proposes a pull request when its drift policy is adopt.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
  },
  sweep: {
    description: 'driftless: scheduled full reconcile (drift sweep and self-heal)',
    timeout: Duration.minutes(5),
    serialize: true,
    // The next scheduled sweep is the retry; a sweep left waiting longer than a few intervals is obsolete.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(15),
    keepFailedEvents: false,
    // proposeChanges: drift policy adopt opens a pull request with the live values.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
  },
  'pull-request': {
    description: 'driftless: plans a pull request and comments the plan on it',
    timeout: Duration.minutes(2),
    serialize: false,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // Plans only: reads the source commit and live state, writes nothing but its comment (no lease, and of the
    // ledger only Query: the comment shows the active pauses of the resources in the plan).
    grants: ['readTargets', 'readRepository', 'comment', 'queryLedger'],
    sources: ['codecommit'],
  },
  'deployment-outcome': {
    description: 'driftless: records the final result of ECS deployments and CloudFormation stack operations',
    // Two minutes: a rollback's write-back reads the repository at two commits before it opens the pull request.
    timeout: Duration.minutes(2),
    serialize: false,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // Reads the service's rollback configuration and the rollout's service deployment, finds the deployment's origin
    // in the ledger and records its end; a rollback is written back to Git as a pull request (reads the repository,
    // proposes, never merges).
    grants: ['describeServices', 'readRollouts', 'readRepository', 'proposeChanges', 'ledger', 'publishEvents'],
  },
  'sweep-shard': {
    description: 'driftless: reconciles one shard of a fanned-out drift sweep (from the shard queue)',
    // Lambda's longest: a shard is sized (sweepShardSize) to fit in it.
    timeout: Duration.minutes(15),
    // Bounded by sweepWorkers instead (see DriftlessStack's constructor).
    serialize: false,
    // Invoked by the SQS event source, never asynchronously: SQS delivers a failed shard again, then dead-letters it.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(15),
    keepFailedEvents: false,
    queueSourced: true,
    // What the sweep does, for its shard.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
    fanOutOnly: true,
  },
  'webhook-worker': {
    description: 'driftless: reconciles a GitHub or GitLab push, or plans a pull request (from the webhook queue)',
    timeout: Duration.minutes(5),
    // Bounded by WEBHOOK_WORKERS instead.
    serialize: false,
    // Invoked by the SQS event source, never asynchronously: SQS delivers a failed message again, then dead-letters it.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(15),
    keepFailedEvents: false,
    queueSourced: true,
    // What push does, plus the pull-request plan (ledger Query is part of 'ledger') and drift adoption's proposals.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
    sources: ['github', 'gitlab'],
  },
};

/** Push and sweep one at a time; the sweep-shard worker up to sweepWorkers at a time, the webhook worker up to
 * WEBHOOK_WORKERS; the others unreserved. */
export function reservation(
  name: FunctionName,
  plan: FunctionPlan,
  sweepWorkers: number,
): { reservedConcurrentExecutions?: number } {
  if (name === 'sweep-shard') return { reservedConcurrentExecutions: sweepWorkers };
  if (name === 'webhook-worker') return { reservedConcurrentExecutions: WEBHOOK_WORKERS };
  return plan.serialize ? { reservedConcurrentExecutions: 1 } : {};
}

export function functionId(name: FunctionName): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
