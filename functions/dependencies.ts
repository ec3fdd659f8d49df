/** What every function needs, as one injectable object, built for production on the first invocation (not at import,
 * so tests can import a handler's factory without its environment) and kept for the life of the execution
 * environment; a ConfigurationError is rethrown on every invocation so events reach the dead-letter queue. */

import { readFileSync } from 'node:fs';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbLedger } from '../shared/audit/dynamodb.ts';
import type { AuditLedger } from '../shared/audit/ledger.ts';
import { driftlessLogger, type LambdaInvocation, logInvocation } from '../shared/audit/log.ts';
import {
  cloudFormationClient,
  codeCommitClient,
  dynamoDbClient,
  ecsClient,
  eventBridgeClient,
  secretsManagerClient,
  sqsClient,
} from '../shared/aws/clients.ts';
import { ConfigurationError } from '../shared/errors.ts';
import { CloudFormationLiveReader } from '../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../shared/live/ecs.ts';
import type { LiveReaders } from '../shared/live/read.ts';
import { DynamoDbTaskDefinitionStore } from '../shared/live/task-definition-store.ts';
import { type AppliedCommits, DynamoDbAppliedCommits } from '../shared/lock/applied-commit.ts';
import { LeaseLock } from '../shared/lock/lease.ts';
import { workerReadRates } from '../shared/reconcile/scope.ts';
import type { ReconcileRequest, RunLock } from '../shared/reconcile/types.ts';
import type { GitSource } from '../shared/source/git-source.ts';
import { homeOfArn } from '../shared/spec/arn.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import type { PlanReporter } from '../shared/writeback/plan-reporter.ts';
import type { ChangeProposer } from '../shared/writeback/proposals.ts';
import { type FunctionEnvironment, readEnvironment } from './environment.ts';
import { hostAdapters } from './hosts.ts';
import { SecretCache } from './secrets.ts';

// Templates are checked against the index the stack copies beside index.mjs (infra/constructs/reconciler-function.ts),
// read on the first template check, not at cold start.
provideResourceSpec(() => readFileSync(resourceSpecFile()));

/** What the functions log through: Powertools Logger in production, a capturing one in tests. */
export interface FunctionLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface FunctionDependencies {
  readonly environment: FunctionEnvironment;
  /** The configuration repository: CodeCommit, GitHub or GitLab in production (functions/hosts.ts), any GitSource in
   * tests. */
  readonly source: GitSource;
  readonly ecs: ECSClient;
  readonly cloudFormation: CloudFormationClient;
  /** CodeCommit pull-request comments, when no planReporter is given; absent from bundles built for GitHub or GitLab. */
  readonly codeCommit?: CodeCommitClient;
  /** Where a pull request's plan is reported: the host's PlanReporter; absent in tests of the CodeCommit handler, which
   * then reports through codeCommit. */
  readonly planReporter?: PlanReporter;
  /** Notifications, on environment.eventBus. */
  readonly eventBridge: EventBridgeClient;
  /** The sweep's shard messages, on environment.shardQueueUrl: only the sweep has it, and only when it fans out. */
  readonly sqs?: SQSClient;
  readonly ledger: AuditLedger;
  readonly lock: RunLock;
  readonly logger: FunctionLogger;
  /** Opens pull requests on the configuration repository (drift adoption, rollback write-back). */
  readonly proposer?: ChangeProposer;
  /** The branch's last fully applied commit (in the lock table): pushes scope from it. */
  readonly appliedCommits?: AppliedCommits;
  /** Live readers kept across invocations (their task-definition and template caches). */
  readonly readers?: LiveReaders;
  /** File texts by blob id kept across invocations, so a warm function reads only what a commit changed. */
  readonly blobCache?: Map<string, string>;
  /** Apply tuning (retry pacing, change-set polling); production uses the executor's defaults. */
  readonly applyOptions?: ReconcileRequest['applyOptions'];
  readonly now?: () => number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/** How many file texts a warm function keeps; the oldest go first. */
const BLOB_CACHE_ENTRIES = 2_000;

/** A Map that forgets its oldest entries past `limit`, so a long-lived function's cache stays bounded. */
export class BoundedCache extends Map<string, string> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: string, value: string): this {
    if (!this.has(key) && this.size >= this.limit) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

/** What the deployment-outcome function reads: ECS rollouts, the ledger, notifications and, for rollback write-back,
 * the repository. No CloudFormation client (a stack's outcome arrives in its event), so that bundle leaves the client
 * and its query/XML protocol out. */
export type OutcomeDependencies = Pick<
  FunctionDependencies,
  'environment' | 'source' | 'ecs' | 'eventBridge' | 'ledger' | 'logger' | 'proposer' | 'blobCache' | 'now'
> & { readonly readers?: Pick<LiveReaders, 'ecs'> };

interface DependencyOptions {
  /** Task definitions kept in the lock table across containers (the sweep and its shard workers). */
  readonly taskDefinitionCache?: boolean;
}

/** The clients and adapters every reconciler function shares, from the function's environment (read once, here). */
function sharedDependencies(variables: NodeJS.ProcessEnv, options: DependencyOptions = {}) {
  const environment = readEnvironment(variables);
  const dynamo = dynamoDbClient();
  const ecs = ecsClient();
  // Each client exists only in the bundles of the hosts that use it (functions/hosts.ts says why the test is inline).
  const codeCommit =
    (process.env.DRIFTLESS_BUNDLED_HOST ?? 'codecommit') === 'codecommit' ? codeCommitClient() : undefined;
  const secrets =
    (process.env.DRIFTLESS_BUNDLED_HOST ?? 'github') !== 'codecommit'
      ? new SecretCache(secretsManagerClient())
      : undefined;
  const host = hostAdapters(environment, {
    ...(codeCommit ? { codeCommit } : {}),
    secret: (secretArn) => () => {
      if (!secrets) throw new ConfigurationError('secrets are read only with a GitHub or GitLab source');
      return secrets.get(secretArn).read();
    },
  });
  return {
    environment,
    dynamo,
    codeCommit,
    host,
    ecs,
    ecsReader: new EcsLiveReader({
      client: ecs,
      rates: workerReadRates(environment.readShare),
      ...(options.taskDefinitionCache
        ? { store: new DynamoDbTaskDefinitionStore({ tableName: environment.lockTable, client: dynamo }) }
        : {}),
    }),
    outcome: {
      environment,
      source: host.source,
      ecs,
      eventBridge: eventBridgeClient(),
      ledger: new DynamoDbLedger({ tableName: environment.ledgerTable, client: dynamo }),
      logger: driftlessLogger,
      proposer: host.proposer,
      blobCache: new BoundedCache(BLOB_CACHE_ENTRIES),
    },
  };
}

/** The deployment-outcome function's production dependencies (OutcomeDependencies). */
export function outcomeDependencies(variables: NodeJS.ProcessEnv = process.env): OutcomeDependencies {
  const shared = sharedDependencies(variables);
  return { ...shared.outcome, readers: { ecs: shared.ecsReader } };
}

/**
 * The production dependencies, from the function's environment (read once, here). Clients come from
 * shared/aws/clients.ts, so region, endpoint override, retries and user agent are set in one place.
 */
export function productionDependencies(
  variables: NodeJS.ProcessEnv = process.env,
  options: DependencyOptions = {},
): FunctionDependencies {
  const { environment, dynamo, codeCommit, host, ecsReader, outcome } = sharedDependencies(variables, options);
  const cloudFormation = cloudFormationClient();
  return {
    ...outcome,
    cloudFormation,
    ...(codeCommit ? { codeCommit } : {}),
    lock: new LeaseLock({ tableName: environment.lockTable, client: dynamo }),
    appliedCommits: new DynamoDbAppliedCommits(environment.lockTable, dynamo),
    planReporter: host.planReporter,
    readers: {
      // ECS throttles per account: workers running side by side each take their share of the read rate.
      ecs: ecsReader,
      cloudFormation: new CloudFormationLiveReader({ client: cloudFormation }),
    },
  };
}

/** The production dependencies of a sweep-shard worker: its ECS reader keeps task definitions in the lock table
 * (shared/live/task-definition-store.ts), so a new container reads none of them from ECS again. No SQS client: only the
 * sweep sends shards, so the worker's bundle leaves that client out. */
export function shardWorkerDependencies(variables: NodeJS.ProcessEnv = process.env): FunctionDependencies {
  return productionDependencies(variables, { taskDefinitionCache: true });
}

/**
 * The production dependencies of the sweep and its shard workers: their ECS reader keeps task definitions in the lock
 * table (shared/live/task-definition-store.ts), so a new container reads none of them from ECS again; plus the SQS
 * client the sweep sends its shards with, when the environment turns fan-out on (only the sweep has the queue's URL,
 * so the other bundles leave the SQS client out). Configured like the clients of shared/aws/clients.ts (endpoint
 * override, adaptive retries, user agent).
 */
export function sweepDependencies(variables: NodeJS.ProcessEnv = process.env): FunctionDependencies {
  const deps = shardWorkerDependencies(variables);
  if (!deps.environment.shardQueueUrl) return deps;
  return { ...deps, sqs: sqsClient() };
}

/** The part of the Lambda context driftless reads: the function's own ARN, which names its partition, region and
 * account. */
export type InvocationContext = LambdaInvocation;

/**
 * The Lambda handler for a factory: production dependencies are built on the first invocation and kept (see the top
 * of this file for why not at import). When building them fails (a ConfigurationError), nothing is kept and the
 * error is thrown, on this and every later invocation, until the configuration is fixed. The function's own ARN, from
 * the first invocation's context, tells the deployment's account, so a cluster ARN elsewhere is refused. `build` has
 * no default: a default would keep productionDependencies (and every client it builds) in each bundle that names
 * another builder.
 */
export function lazyHandler<E, R, D extends OutcomeDependencies = FunctionDependencies>(
  create: (deps: D) => (event: E) => Promise<R>,
  build: () => D,
): (event: E, context?: InvocationContext) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return async (event, context) => {
    logInvocation(context);
    handle ??= create(withDeploymentHome(build(), context));
    return handle(event);
  };
}

/** The dependencies with the partition, region and account the function's own ARN names, when the context has it. */
export function withDeploymentHome<D extends OutcomeDependencies>(deps: D, context?: InvocationContext): D {
  const home = context?.invokedFunctionArn ? homeOfArn(context.invokedFunctionArn) : undefined;
  if (!home?.account) return deps;
  return { ...deps, environment: { ...deps.environment, ...home } };
}
