/**
 * Applies a plan to ECS and CloudFormation: wave by wave (ascending), the resources of a wave in parallel (bounded),
 * each resource's actions in plan order, prunes last. A resource that fails is recorded and the others carry on.
 *
 * Every AWS write is announced in the audit ledger before it is made (an intent) and recorded after it (an outcome).
 * When the ledger cannot record an intent the write is not made and the run stops; when the guard (the run lock)
 * throws, no further write is started, outcomes of the writes in flight are recorded, and the guard's error is
 * thrown. Throttling, 5xx and timeouts are retried here (with exponential backoff and full jitter), since the SDK's
 * own retries cannot be relied on beneath every client driftless is given; writes that may have taken effect before
 * a lost response are recognised on the retry rather than made twice.
 */
import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  type CreateChangeSetCommandInput,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { newActionId, newEntryId } from '../audit/ids.ts';
import {
  type AuditLedger,
  type AwsReferences,
  type LedgerEntry,
  type RunContext,
  WRITE_BACK_REASON_PREFIX,
  type WriteAction,
} from '../audit/ledger.ts';
import { errorName, isRetryableAwsError } from '../aws/errors.ts';
import { ECS_CLIENT_RATES, TokenBucket } from '../aws/token-bucket.ts';
import {
  ChangeSetFailedError,
  ChangeSetTimeoutError,
  DriftlessError,
  isLedgerFailure,
  LedgerWriteError,
  TerminalError,
} from '../errors.ts';
import type { RateLimit } from '../live/ecs.ts';
import { type FieldChange, isUnderPointer, jsonEqual } from '../plan/diff.ts';
import { isStackBusy } from '../plan/health.ts';
import type { LiveState } from '../plan/live-state.ts';
import { isSystemTag, normalizeTaskDefinition } from '../plan/normalize.ts';
import { type Action, type Plan, pruneGuards } from '../plan/plan.ts';
import type {
  CloudFormationStackDeclaration,
  Declaration,
  EcsServiceDeclaration,
  RepositorySnapshot,
} from '../spec/repository.ts';
import type { ResourceKind } from '../spec/schema.ts';
import { MANAGED_BY_TAG_KEY, toJsonRecord } from '../util.ts';
import { newChangeSetName } from './ids.ts';
import {
  changeSetInput,
  createServiceInput,
  type Provenance,
  registerTaskDefinitionInput,
  serviceTags,
  updateServiceInput,
} from './requests.ts';

// ------------------------------------------------------------------------------------------------ public API

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
  readonly rates?: WriteRates;
  /** Clock in milliseconds (ledger times, durations, token buckets). */
  readonly now?: () => number;
  /** How backoff, polling and token buckets wait; tests pass a virtual one. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Random number in [0, 1) for backoff jitter. */
  readonly random?: () => number;
}

/** Applies `plan`. Resolves with what happened to each resource; rejects only when the run had to stop (the ledger
 * failed, or the guard threw), with that error, after recording the outcomes of the writes in flight. */
export function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  return new Applier(input).run();
}

// ------------------------------------------------------------------------------------------------ internals

/** Writes the ledger has no WriteAction for are recorded under the nearest one, the API named in the reason. */
type AwsWrite = Exclude<WriteAction, 'Prune'>;

const LEDGER_ACTION: Record<AwsWrite, WriteAction> = {
  RegisterTaskDefinition: 'RegisterTaskDefinition',
  CreateService: 'CreateService',
  UpdateService: 'UpdateService',
  DeleteService: 'DeleteService',
  CreateChangeSet: 'CreateChangeSet',
  ExecuteChangeSet: 'ExecuteChangeSet',
  DeleteStack: 'DeleteStack',
  TagResource: 'TagResource',
  UntagResource: 'UntagResource',
  DeleteChangeSet: 'DeleteChangeSet',
  UpdateTerminationProtection: 'UpdateTerminationProtection',
};

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;
const DRY_RUN_PLACEHOLDER_ARN = '(registered at apply)';

interface ResourceGroup {
  readonly id: string;
  readonly kind: ResourceKind;
  readonly wave: number;
  readonly actions: readonly Action[];
}

interface ResourceState {
  readonly id: string;
  readonly kind: ResourceKind;
  references: AwsReferences;
  dryRunWrites: number;
}

interface Decision {
  readonly outcome: ResourceOutcome;
  readonly reason?: string;
}

interface WriteSpec<T> {
  readonly api: AwsWrite;
  readonly changes: readonly FieldChange[];
  readonly bucket: TokenBucket;
  readonly send: () => Promise<T>;
  readonly references: (output: T) => AwsReferences;
  /** Free-form note for the ledger entries. */
  readonly reason?: string;
  /** After a retryable failure, an error on a later attempt may mean the earlier one took effect: the result then. */
  readonly recover?: (error: unknown) => Promise<{ readonly value: T } | undefined>;
  /** Before each retry: the result, when what the write was for turns out to exist already. */
  readonly beforeRetry?: () => Promise<{ readonly value: T } | undefined>;
  /** After the call succeeded: waits for what it started to settle; a throw records the write as failed. */
  readonly settle?: (output: T) => Promise<void>;
}

type Written<T> = { readonly dryRun: true } | { readonly dryRun: false; readonly output: T };

type EntryFields = Omit<LedgerEntry, keyof Omit<RunContext, 'commitMessage'> | 'entryId' | 'time'>;

/** The run must stop: the guard threw or the ledger failed. `error` is what applyPlan rejects with. */
class Stop extends Error {
  constructor(readonly error: unknown) {
    super('the apply run stopped');
  }
}

class Applier {
  private readonly dryRun: boolean;
  private readonly options: Required<
    Pick<
      ApplyOptions,
      'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'changeSetPollMs' | 'changeSetMaxPolls' | 'concurrency'
    >
  >;
  private readonly now: () => number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly random: () => number;
  private readonly buckets: {
    readonly serviceWrites: TokenBucket;
    readonly registerTaskDefinition: TokenBucket;
    readonly cloudFormationWrites: TokenBucket;
    readonly describeServices: TokenBucket;
    readonly describeTaskDefinition: TokenBucket;
  };
  private readonly declarations: ReadonlyMap<string, Declaration>;
  private stopped = false;
  private stopError: unknown;
  private pruneRefusal: string | undefined;

  constructor(private readonly input: ApplyInput) {
    const options = input.options ?? {};
    this.dryRun = options.dryRun ?? input.run.dryRun;
    this.options = {
      maxAttempts: Math.max(1, options.maxAttempts ?? APPLY_DEFAULTS.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? APPLY_DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? APPLY_DEFAULTS.maxDelayMs,
      changeSetPollMs: options.changeSetPollMs ?? APPLY_DEFAULTS.changeSetPollMs,
      changeSetMaxPolls: Math.max(1, options.changeSetMaxPolls ?? APPLY_DEFAULTS.changeSetMaxPolls),
      concurrency: Math.max(1, options.concurrency ?? APPLY_DEFAULTS.concurrency),
    };
    this.now = input.now ?? (() => Date.now());
    this.sleep = input.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
    this.random = input.random ?? Math.random;
    const clock = { now: this.now, sleep: this.sleep };
    const rates = input.rates ?? {};
    this.buckets = {
      serviceWrites: new TokenBucket({ ...(rates.serviceWrites ?? APPLY_WRITE_RATES.serviceWrites), ...clock }),
      registerTaskDefinition: new TokenBucket({
        ...(rates.registerTaskDefinition ?? APPLY_WRITE_RATES.registerTaskDefinition),
        ...clock,
      }),
      cloudFormationWrites: new TokenBucket({
        ...(rates.cloudFormationWrites ?? APPLY_WRITE_RATES.cloudFormationWrites),
        ...clock,
      }),
      describeServices: new TokenBucket({ ...ECS_CLIENT_RATES.describeServices, ...clock }),
      describeTaskDefinition: new TokenBucket({ ...ECS_CLIENT_RATES.describeTaskDefinition, ...clock }),
    };
    this.declarations = new Map(input.snapshot.declarations.map((declaration) => [declaration.id, declaration]));
  }

  // ---------------------------------------------------------------------------------------------- the run

  async run(): Promise<ApplyResult> {
    const { plan, snapshot } = this.input;
    if (plan.commitId !== snapshot.commitId) {
      throw new TerminalError(
        `the plan is for commit ${plan.commitId} but the snapshot is of ${snapshot.commitId}; plan again`,
      );
    }
    const groups = groupByResource(plan.actions);
    const prunes = groups.filter((group) => group.actions.some((action) => action.type === 'prune'));
    const applies = groups.filter((group) => !prunes.includes(group));
    this.pruneRefusal = this.pruneGuardReason(prunes.length);

    const results = new Map<string, ResourceResult>();
    const runGroups = async (selected: readonly ResourceGroup[], order: 'ascending' | 'descending') => {
      const waves = [...new Set(selected.map((group) => group.wave))].sort((a, b) =>
        order === 'ascending' ? a - b : b - a,
      );
      for (const wave of waves) {
        const inWave = selected.filter((group) => group.wave === wave);
        await this.pool(inWave, async (group) => {
          results.set(group.id, await this.applyResource(group));
        });
        if (this.stopped) throw this.stopError;
      }
    };
    await runGroups(applies, 'ascending');
    // Prunes last, dependents (higher waves) first: a service goes before the stack it may run on.
    await runGroups(prunes, 'descending');

    const resources = groups.map((group) => results.get(group.id)).filter((result) => result !== undefined);
    const counts = Object.fromEntries(RESOURCE_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
      ResourceOutcome,
      number
    >;
    for (const result of resources) counts[result.outcome] += 1;
    return { commitId: plan.commitId, dryRun: this.dryRun, resources, counts };
  }

  /** Runs `work` for each item, at most `concurrency` at once; starts nothing new once the run has stopped. */
  private async pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, items.length) }, worker));
  }

  /** Never throws: a resource's failure is its result. A stop is noticed by the run through `stopped`. */
  private async applyResource(group: ResourceGroup): Promise<ResourceResult> {
    const state: ResourceState = { id: group.id, kind: group.kind, references: {}, dryRunWrites: 0 };
    const withReferences = () => (Object.keys(state.references).length > 0 ? { references: state.references } : {});
    try {
      const decision = await this.decide(group, state);
      return {
        id: group.id,
        kind: group.kind,
        outcome: decision.outcome,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        ...withReferences(),
      };
    } catch (thrown) {
      const error = thrown instanceof Stop ? thrown.error : thrown;
      return { id: group.id, kind: group.kind, outcome: 'failed', error: describeError(error), ...withReferences() };
    }
  }

  private async decide(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const find = (type: Action['type']) => group.actions.find((action) => action.type === type);
    if (find('prune')) return this.prune(group, state);
    const replace = find('replace-required');
    if (replace) return this.refuse(group.id, replace, undefined, this.replaceReason(group, replace));
    const wait = find('wait');
    if (wait) return { outcome: 'waiting', ...(wait.reason === undefined ? {} : { reason: wait.reason }) };
    if (!find('create') && !find('update') && !find('register-task-definition')) return { outcome: 'in-sync' };

    const declaration = this.declarations.get(group.id);
    if (!declaration) throw new TerminalError(`${group.id} is in the plan but not declared in the snapshot`);
    const rolledBack = await this.rolledBackReason(group.id);
    if (rolledBack) {
      if (!this.dryRun) {
        await this.append({
          kind: 'outcome',
          actionId: newActionId(),
          resourceId: group.id,
          result: 'skipped',
          reason: rolledBack,
        });
      }
      return { outcome: 'skipped', reason: rolledBack };
    }
    return declaration.kind === 'EcsService'
      ? this.applyService(declaration, group, state)
      : this.applyStack(declaration, group, state);
  }

  private replaceReason(group: ResourceGroup, action: Action): string {
    const why = action.reason ?? 'the change cannot be made in place';
    const notSupported = this.input.options?.allowReplace
      ? 'replacing is not supported yet, even with --allow-replace'
      : 'driftless does not replace resources';
    if (group.kind === 'EcsService') {
      return `${why}. ${notSupported}: declare the service under a new name (and remove the old declaration), or scale the service to 0 and delete it by hand, then apply again to create it`;
    }
    const name = group.id.slice('CloudFormationStack:'.length);
    return `${why}. ${notSupported}: delete the stack by hand (aws cloudformation delete-stack --stack-name ${name}), then apply again to create it`;
  }

  /** Records a refusal (not on dry runs) and returns it as the decision. */
  private async refuse(
    resourceId: string,
    action: Action | undefined,
    ledgerAction: WriteAction | undefined,
    reason: string,
  ): Promise<Decision> {
    if (!this.dryRun) {
      await this.append({
        kind: 'outcome',
        actionId: newActionId(),
        resourceId,
        ...(ledgerAction === undefined ? {} : { action: ledgerAction }),
        ...(action && action.changes.length > 0 ? { changes: action.changes } : {}),
        result: 'refused',
        reason,
      });
    }
    return { outcome: 'refused', reason };
  }

  /**
   * The deployment circuit breaker's memory: when the newest outcome recorded for this resource at this commit is
   * 'rolled-back' (or a skip this check recorded earlier, so the memory outlasts the history window), the commit is
   * not applied again. A new commit clears it.
   */
  private async rolledBackReason(resourceId: string): Promise<string | undefined> {
    const commitId = this.input.plan.commitId;
    const history = await this.input.ledger.resourceHistory(resourceId, { limit: 20 });
    const latest = history.find(
      (entry) => entry.commitId === commitId && entry.kind === 'outcome' && entry.dryRun !== true,
    );
    const reason = `commit ${commitId.slice(0, 12)} was rolled back by the deployment circuit breaker; a new commit clears this`;
    if (latest?.result === 'rolled-back') return reason;
    if (
      latest?.result === 'skipped' &&
      (latest.reason?.includes('rolled back by the deployment circuit breaker') ||
        latest.reason?.startsWith(WRITE_BACK_REASON_PREFIX))
    ) {
      return reason;
    }
    return undefined;
  }

  private provenance(declaration: Declaration): Provenance {
    return {
      installationId: this.input.installationId,
      source: declaration.location.file,
      commitId: this.input.plan.commitId,
    };
  }

  private ignoreRules(declaration: Declaration): string[] {
    const settings = this.input.snapshot.settings?.document;
    return [...(settings?.spec.sync.ignore[declaration.kind] ?? []), ...(declaration.document.sync?.ignore ?? [])];
  }

  // ---------------------------------------------------------------------------------------------- ECS

  private async applyService(
    declaration: EcsServiceDeclaration,
    group: ResourceGroup,
    state: ResourceState,
  ): Promise<Decision> {
    const find = (type: Action['type']) => group.actions.find((action) => action.type === type);
    const provenance = this.provenance(declaration);
    const create = find('create');
    if (create) {
      const taskDefinitionChanges = create.changes.filter((change) => isTaskDefinitionPath(change.path));
      const arn = await this.ensureTaskDefinition(declaration, provenance, taskDefinitionChanges, state);
      const serviceChanges = create.changes.filter((change) => !isTaskDefinitionPath(change.path));
      await this.createService(declaration, provenance, arn, serviceChanges, state);
    } else {
      const register = find('register-task-definition');
      const arn = register
        ? await this.ensureTaskDefinition(declaration, provenance, register.changes, state)
        : undefined;
      const update = find('update');
      if (update) {
        const live = this.input.live.resources.get(declaration.id);
        const liveService = live?.kind === 'EcsService' ? live.service : undefined;
        let serviceArn = typeof liveService?.serviceArn === 'string' ? liveService.serviceArn : undefined;
        const tagsOnly =
          !register &&
          update.changes.length > 0 &&
          update.changes.every((change) => isUnderPointer(change.path, '/spec/tags'));
        if (!tagsOnly) {
          const updated = await this.updateService(declaration, arn, update.changes, state);
          serviceArn = updated?.serviceArn ?? serviceArn;
        }
        await this.tagService(declaration, provenance, serviceArn, liveService?.tags, update.changes, state);
      }
    }
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  /** The ARN of a revision with the declared content: the family's latest ACTIVE one when equal (a run that stopped
   * between RegisterTaskDefinition and UpdateService finishes without a second revision), else a new one.
   * Undefined on a dry run that would register. */
  private async ensureTaskDefinition(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<string | undefined> {
    const desired = registerTaskDefinitionInput(declaration, provenance);
    const existing = await this.equalRevision(desired);
    if (existing) {
      state.references = { ...state.references, taskDefinitionArn: existing };
      return existing;
    }
    const written = await this.write(state, {
      api: 'RegisterTaskDefinition',
      changes,
      bucket: this.buckets.registerTaskDefinition,
      send: async () => {
        const output = await this.input.clients.ecs.send(
          new RegisterTaskDefinitionCommand(desired as RegisterTaskDefinitionCommandInput),
        );
        const arn = output.taskDefinition?.taskDefinitionArn;
        if (!arn) throw new TerminalError('RegisterTaskDefinition answered without a task definition ARN');
        return arn;
      },
      references: (arn) => ({ taskDefinitionArn: arn }),
      // A timed-out RegisterTaskDefinition may have registered the revision: look before registering another.
      beforeRetry: async () => {
        const arn = await this.equalRevision(desired);
        return arn === undefined ? undefined : { value: arn };
      },
    });
    return written.dryRun ? undefined : written.output;
  }

  /** The family's latest ACTIVE revision when it equals `desired` in canonical form (driftless:* tags aside). */
  private async equalRevision(desired: ReturnType<typeof registerTaskDefinitionInput>): Promise<string | undefined> {
    let described: DescribeTaskDefinitionCommandOutput;
    try {
      described = await this.read(this.buckets.describeTaskDefinition, () =>
        this.input.clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: desired.family, include: ['TAGS'] }),
        ),
      );
    } catch (error) {
      // What ECS answers for a family without an ACTIVE revision.
      if (errorName(error) === 'ClientException' && /unable to describe task definition/i.test(messageOf(error))) {
        return undefined;
      }
      throw error;
    }
    const taskDefinition = described.taskDefinition;
    if (!taskDefinition?.taskDefinitionArn || taskDefinition.status !== 'ACTIVE') return undefined;
    const live = normalizeTaskDefinition(toJsonRecord(taskDefinition), described.tags ?? []);
    const wanted = normalizeTaskDefinition(desired as unknown as Record<string, unknown>);
    return jsonEqual(live, wanted) ? taskDefinition.taskDefinitionArn : undefined;
  }

  private async createService(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    taskDefinitionArn: string | undefined,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<void> {
    const input = createServiceInput(declaration, taskDefinitionArn ?? DRY_RUN_PLACEHOLDER_ARN, provenance);
    const { cluster, serviceName } = input;
    await this.write(state, {
      api: 'CreateService',
      changes,
      bucket: this.buckets.serviceWrites,
      send: async () => {
        if (taskDefinitionArn === undefined) throw new TerminalError('no task definition to create the service with');
        const output = await this.input.clients.ecs.send(new CreateServiceCommand(input as CreateServiceCommandInput));
        return requireService(output.service, 'CreateService');
      },
      references: serviceReferences,
      // A CreateService whose response was lost may have created the service: ECS then refuses the retry as "not
      // idempotent". It is a success when the service is there, running the task definition asked for.
      recover: async (error) => {
        if (errorName(error) !== 'InvalidParameterException' || !/not idempotent/i.test(messageOf(error))) {
          return undefined;
        }
        const described = await this.read(this.buckets.describeServices, () =>
          this.input.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
        );
        const service = described.services?.find(
          (candidate) => candidate.serviceName === serviceName && candidate.status === 'ACTIVE',
        );
        return service && service.taskDefinition === taskDefinitionArn ? { value: service } : undefined;
      },
    });
  }

  private async updateService(
    declaration: EcsServiceDeclaration,
    taskDefinitionArn: string | undefined,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<Service | undefined> {
    const rules = this.ignoreRules(declaration);
    const omitDesiredCount = rules.some((rule) => isUnderPointer('/spec/desiredCount', rule));
    const input = withoutIgnoredFields(updateServiceInput(declaration, taskDefinitionArn, { omitDesiredCount }), rules);
    const written = await this.write(state, {
      api: 'UpdateService',
      changes,
      bucket: this.buckets.serviceWrites,
      send: async () => {
        const output = await this.input.clients.ecs.send(new UpdateServiceCommand(input as UpdateServiceCommandInput));
        return requireService(output.service, 'UpdateService');
      },
      references: serviceReferences,
    });
    return written.dryRun ? undefined : written.output;
  }

  /** UpdateService takes no tags: TagResource sets the declared and provenance tags, UntagResource removes declared
   * tags no longer declared. */
  private async tagService(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    serviceArn: string | undefined,
    liveTags: unknown,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<void> {
    const tags = serviceTags(declaration, provenance);
    const tagChanges = changes.filter((change) => isUnderPointer(change.path, '/spec/tags'));
    const resourceArn = serviceArn ?? '';
    const send = async <T>(command: () => Promise<T>) => {
      if (!serviceArn) throw new TerminalError(`no service ARN for ${declaration.id} to tag`);
      return command();
    };
    // Only tags that differ are written: a drift revert at the same commit finds them all in place already, and
    // every write spends the service-write budget ECS shares with the rollouts.
    const current = new Map(
      (Array.isArray(liveTags) ? liveTags : []).map((tag: { key?: unknown; value?: unknown }) => [
        String(tag?.key),
        String(tag?.value ?? ''),
      ]),
    );
    const outdated = tags.filter((tag) => current.get(tag.key) !== tag.value);
    if (outdated.length > 0) {
      await this.write(state, {
        api: 'TagResource',
        changes: tagChanges,
        bucket: this.buckets.serviceWrites,
        reason: 'the declared tags and driftless provenance',
        send: () =>
          send(() =>
            this.input.clients.ecs.send(
              new TagResourceCommand({ resourceArn, tags: outdated.map((tag) => ({ ...tag })) }),
            ),
          ),
        references: () => ({ serviceArn: resourceArn }),
      });
    }
    const declaredKeys = new Set(tags.map((tag) => tag.key));
    const stale = (Array.isArray(liveTags) ? liveTags : [])
      .map((tag: { key?: unknown }) => (typeof tag?.key === 'string' ? tag.key : undefined))
      .filter((key): key is string => key !== undefined && !isSystemTag(key) && !declaredKeys.has(key));
    if (stale.length === 0) return;
    await this.write(state, {
      api: 'UntagResource',
      changes: tagChanges,
      bucket: this.buckets.serviceWrites,
      reason: `tags no longer declared: ${stale.join(', ')}`,
      send: () => send(() => this.input.clients.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: stale }))),
      references: () => ({ serviceArn: resourceArn }),
    });
  }

  // ---------------------------------------------------------------------------------------------- CloudFormation

  private async applyStack(
    declaration: CloudFormationStackDeclaration,
    group: ResourceGroup,
    state: ResourceState,
  ): Promise<Decision> {
    const action = group.actions.find((candidate) => candidate.type === 'create' || candidate.type === 'update');
    if (!action) return { outcome: 'in-sync' };
    const cloudFormation = this.input.clients.cloudFormation;
    // Change sets cannot set termination protection: it has an API call of its own, made after the change set.
    const protection = declaration.document.spec.terminationProtection;
    const protectionChanged =
      protection !== undefined &&
      (action.type === 'create'
        ? protection
        : action.changes.some((change) => change.path === '/spec/terminationProtection'));
    const stackChanges = action.changes.filter((change) => change.path !== '/spec/terminationProtection');
    if (action.type === 'update' && stackChanges.length === 0) {
      if (protectionChanged) await this.updateTerminationProtection(declaration, state, protection === true);
      return { outcome: this.dryRun ? 'dry-run' : 'applied' };
    }
    const type = action.type === 'create' ? 'CREATE' : 'UPDATE';
    const settings = this.input.snapshot.settings?.document;
    const selfHeal = declaration.document.sync?.selfHeal ?? settings?.spec.sync.selfHeal ?? true;
    const changeSetName = newChangeSetName(this.input.plan.commitId);
    const request = {
      ...changeSetInput(declaration, this.provenance(declaration), this.input.options?.defaultStackRoleArn),
      ChangeSetName: changeSetName,
      ChangeSetType: type,
      ...(type === 'UPDATE' && selfHeal ? { DeploymentMode: 'REVERT_DRIFT' as const } : {}),
    };
    const computed: { state: 'ready' | 'no-changes' } = { state: 'ready' };
    const created = await this.write(state, {
      api: 'CreateChangeSet',
      changes: action.changes,
      bucket: this.buckets.cloudFormationWrites,
      send: async () => {
        const output = await cloudFormation.send(new CreateChangeSetCommand(request as CreateChangeSetCommandInput));
        if (!output.Id) throw new TerminalError('CreateChangeSet answered without a change set id');
        return { changeSetArn: output.Id, ...(output.StackId ? { stackId: output.StackId } : {}) };
      },
      references: (output) => output,
      // A CreateChangeSet whose response was lost may have created it: the retry is refused as already existing.
      recover: async (error) => {
        if (errorName(error) !== 'AlreadyExistsException' || !/changeset/i.test(messageOf(error))) return undefined;
        const described = await this.read(undefined, () =>
          cloudFormation.send(
            new DescribeChangeSetCommand({ ChangeSetName: changeSetName, StackName: request.StackName }),
          ),
        );
        if (!described.ChangeSetId) return undefined;
        return {
          value: { changeSetArn: described.ChangeSetId, ...(described.StackId ? { stackId: described.StackId } : {}) },
        };
      },
      // The write counts as done once CloudFormation has computed the change set (or found nothing to change).
      settle: async (output) => {
        computed.state = await this.waitForChangeSet(output.changeSetArn);
      },
    });
    if (created.dryRun) {
      await this.write(state, {
        api: 'ExecuteChangeSet',
        changes: action.changes,
        bucket: this.buckets.cloudFormationWrites,
        send: async () => undefined,
        references: () => ({}),
      });
      return { outcome: 'dry-run' };
    }
    const references = created.output;
    if (computed.state === 'no-changes') {
      await this.write(state, {
        api: 'DeleteChangeSet',
        changes: [],
        bucket: this.buckets.cloudFormationWrites,
        reason: 'the change set held no changes',
        send: async () => {
          await cloudFormation.send(new DeleteChangeSetCommand({ ChangeSetName: references.changeSetArn }));
        },
        references: () => references,
        recover: async (error) =>
          errorName(error) === 'ChangeSetNotFoundException' ? { value: undefined } : undefined,
      });
      return { outcome: 'in-sync', reason: 'CloudFormation found nothing to change; the empty change set was deleted' };
    }
    await this.write(state, {
      api: 'ExecuteChangeSet',
      changes: action.changes,
      bucket: this.buckets.cloudFormationWrites,
      send: async () => {
        await cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: references.changeSetArn }));
      },
      references: () => references,
      // An ExecuteChangeSet whose response was lost may have started the operation: the retry is refused because
      // the change set is executing (or done) already.
      recover: async (error) => {
        if (errorName(error) !== 'InvalidChangeSetStatusException') return undefined;
        const described = await this.read(undefined, () =>
          cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: references.changeSetArn })),
        );
        const status = described.ExecutionStatus ?? '';
        return status === 'EXECUTE_IN_PROGRESS' || status === 'EXECUTE_COMPLETE' ? { value: undefined } : undefined;
      },
    });
    if (protectionChanged) await this.updateTerminationProtection(declaration, state, protection === true);
    // The stack operation is not waited for: its result arrives later (stack events, the next run's plan).
    return { outcome: 'applied' };
  }

  private async updateTerminationProtection(
    declaration: CloudFormationStackDeclaration,
    state: ResourceState,
    enable: boolean,
  ): Promise<void> {
    await this.write(state, {
      api: 'UpdateTerminationProtection',
      changes: [{ path: '/spec/terminationProtection', after: enable }],
      bucket: this.buckets.cloudFormationWrites,
      send: async () => {
        const output = await this.input.clients.cloudFormation.send(
          new UpdateTerminationProtectionCommand({
            StackName: declaration.document.metadata.name,
            EnableTerminationProtection: enable,
          }),
        );
        return output.StackId ? { stackId: output.StackId } : {};
      },
      references: (output) => output ?? {},
    });
  }

  /** Polls until CloudFormation has computed the change set. */
  private async waitForChangeSet(changeSetArn: string): Promise<'ready' | 'no-changes'> {
    const { changeSetPollMs, changeSetMaxPolls } = this.options;
    for (let poll = 1; poll <= changeSetMaxPolls; poll += 1) {
      await this.sleep(changeSetPollMs);
      const described = await this.read(undefined, () =>
        this.input.clients.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetArn })),
      );
      const status = described.Status ?? '';
      const executionStatus = described.ExecutionStatus ?? '';
      const reason = described.StatusReason ?? '';
      if (status === 'FAILED') {
        if (NO_CHANGES.test(reason)) return 'no-changes';
        throw new ChangeSetFailedError(
          `CloudFormation could not create the change set: ${reason || 'no reason given'}`,
        );
      }
      if (status === 'CREATE_COMPLETE') {
        if (executionStatus === 'AVAILABLE') return 'ready';
        if (executionStatus !== 'UNAVAILABLE') {
          throw new ChangeSetFailedError(
            `the change set cannot be executed: its execution status is ${executionStatus}`,
          );
        }
      } else if (status.startsWith('DELETE')) {
        throw new ChangeSetFailedError(`the change set was deleted (${status}) before it could be executed`);
      }
    }
    throw new ChangeSetTimeoutError(
      `the change set was still being computed after ${changeSetMaxPolls} polls ${changeSetPollMs} ms apart; it is left in place, and the next run creates another`,
    );
  }

  // ---------------------------------------------------------------------------------------------- prune

  /** Why nothing may be pruned, or undefined when the guards allow it; worked out again at apply time. */
  private pruneGuardReason(candidateCount: number): string | undefined {
    if (candidateCount === 0) return undefined;
    const { snapshot, options } = this.input;
    const managedCount = options?.managedCount;
    if (managedCount === undefined) {
      return 'the number of managed resources was not given (options.managedCount), so the prune guards cannot be checked';
    }
    const settings = snapshot.settings?.document;
    const guards = pruneGuards({
      pruneEnabled: settings?.spec.sync.prune ?? false,
      pruneBlocked: snapshot.pruneBlocked,
      managedCount,
      candidateCount,
      maxPruneFraction: settings?.spec.sync.maxPruneFraction ?? 0.2,
      allowEmpty: options?.allowEmpty ?? false,
    });
    return guards.length === 0 ? undefined : guards.join('; ');
  }

  private async prune(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const action = group.actions.find((candidate) => candidate.type === 'prune');
    if (this.pruneRefusal !== undefined) return this.refuse(group.id, action, 'Prune', this.pruneRefusal);
    if (this.declarations.has(group.id)) {
      return this.refuse(group.id, action, 'Prune', `${group.id} is declared in Git at this commit; it is not pruned`);
    }
    return group.kind === 'EcsService' ? this.pruneService(group, state) : this.pruneStack(group, state);
  }

  private unmanagedReason(id: string): string {
    return `${id} is not tagged ${MANAGED_BY_TAG_KEY}=${this.input.installationId}; driftless never deletes what it does not manage`;
  }

  private async pruneService(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const [cluster = '', name = ''] = splitOnce(group.id.slice('EcsService:'.length), '/');
    const ecs = this.input.clients.ecs;
    let service: Service | undefined;
    try {
      const described = await this.read(this.buckets.describeServices, () =>
        ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] })),
      );
      service = described.services?.find(
        (candidate) => candidate.serviceName === name && candidate.status !== 'INACTIVE',
      );
    } catch (error) {
      if (errorName(error) !== 'ClusterNotFoundException') throw error;
    }
    if (!service) return { outcome: 'in-sync', reason: 'the service no longer exists' };
    const managed = service.tags?.some(
      (tag) => tag.key === MANAGED_BY_TAG_KEY && tag.value === this.input.installationId,
    );
    if (!managed) return this.refuse(group.id, undefined, 'Prune', this.unmanagedReason(group.id));
    if (service.status === 'DRAINING') return { outcome: 'in-sync', reason: 'the service is being deleted already' };

    const desiredCount = service.desiredCount ?? 0;
    if (service.schedulingStrategy !== 'DAEMON' && desiredCount > 0) {
      await this.write(state, {
        api: 'UpdateService',
        changes: [{ path: '/spec/desiredCount', before: desiredCount, after: 0 }],
        bucket: this.buckets.serviceWrites,
        reason: 'prune: scale to 0 before deleting',
        send: async () =>
          requireService(
            (await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 }))).service,
            'UpdateService',
          ),
        references: serviceReferences,
      });
    }
    await this.write(state, {
      api: 'DeleteService',
      changes: [],
      bucket: this.buckets.serviceWrites,
      reason: 'prune: no longer declared in Git',
      send: async () =>
        requireService(
          (await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: false }))).service,
          'DeleteService',
        ),
      references: (deleted) => (deleted.serviceArn ? { serviceArn: deleted.serviceArn } : {}),
    });
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  private async pruneStack(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const name = group.id.slice('CloudFormationStack:'.length);
    const cloudFormation = this.input.clients.cloudFormation;
    let stack: Stack | undefined;
    try {
      const described = await this.read(undefined, () =>
        cloudFormation.send(new DescribeStacksCommand({ StackName: name })),
      );
      stack = described.Stacks?.[0];
    } catch (error) {
      if (!(errorName(error) === 'ValidationError' && /does not exist/i.test(messageOf(error)))) throw error;
    }
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
      return { outcome: 'in-sync', reason: 'the stack no longer exists' };
    }
    const managed = stack.Tags?.some(
      (tag) => tag.Key === MANAGED_BY_TAG_KEY && tag.Value === this.input.installationId,
    );
    if (!managed) return this.refuse(group.id, undefined, 'Prune', this.unmanagedReason(group.id));
    const status = stack.StackStatus ?? '';
    if (status === 'DELETE_IN_PROGRESS') return { outcome: 'in-sync', reason: 'the stack is being deleted already' };
    if (isStackBusy(status)) {
      return { outcome: 'waiting', reason: `the stack is ${status}; it is pruned once CloudFormation has finished` };
    }
    const stackId = stack.StackId;
    await this.write(state, {
      api: 'DeleteStack',
      changes: [],
      bucket: this.buckets.cloudFormationWrites,
      reason: 'prune: no longer declared in Git',
      send: async () => {
        await cloudFormation.send(new DeleteStackCommand({ StackName: stackId ?? name }));
      },
      references: () => (stackId ? { stackId } : {}),
    });
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  // ---------------------------------------------------------------------------------------------- calls

  /** One AWS write with its ledger entries: intent before, outcome after; on a dry run, an intent marked dry-run. */
  private async write<T>(state: ResourceState, spec: WriteSpec<T>): Promise<Written<T>> {
    const action = LEDGER_ACTION[spec.api];
    const note = spec.api === action ? spec.reason : [spec.api, spec.reason].filter(Boolean).join(': ');
    const base = {
      actionId: newActionId(),
      resourceId: state.id,
      action,
      ...(note ? { reason: note } : {}),
    };
    const changes = spec.changes.length > 0 ? { changes: spec.changes } : {};
    if (this.dryRun) {
      this.throwIfStopped();
      await this.append({ kind: 'intent', ...base, ...changes, result: 'dry-run' });
      state.dryRunWrites += 1;
      return { dryRun: true };
    }

    await spec.bucket.take();
    this.throwIfStopped();
    await this.callGuard();
    await this.append({ kind: 'intent', ...base, ...changes });
    const started = this.now();
    let references: AwsReferences | undefined;
    let output: T;
    try {
      output = await this.attempts(spec);
      references = spec.references(output);
      state.references = { ...state.references, ...references };
      await spec.settle?.(output);
    } catch (thrown) {
      const error = thrown instanceof Stop ? thrown.error : thrown;
      await this.append({
        kind: 'outcome',
        ...base,
        result: 'failed',
        errorCode: errorName(error) ?? 'Error',
        errorMessage: messageOf(error),
        ...(references && Object.keys(references).length > 0 ? { references } : {}),
        durationMs: this.now() - started,
      });
      throw thrown;
    }
    await this.append({
      kind: 'outcome',
      ...base,
      result: 'succeeded',
      ...(Object.keys(references).length > 0 ? { references } : {}),
      durationMs: this.now() - started,
    });
    return { dryRun: false, output };
  }

  /** The call, retried while the error is a passing one; every attempt takes a token and passes the guard. */
  private async attempts<T>(spec: WriteSpec<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > 1) {
        await this.sleep(this.backoff(attempt - 1));
        const found = await spec.beforeRetry?.();
        if (found) return found.value;
        await spec.bucket.take();
        this.throwIfStopped();
        await this.callGuard();
      }
      try {
        return await spec.send();
      } catch (error) {
        if (attempt > 1 && spec.recover) {
          const recovered = await spec.recover(error);
          if (recovered) return recovered.value;
        }
        if (!isRetryableAwsError(error) || attempt >= this.options.maxAttempts) throw error;
      }
    }
  }

  /** A read, retried while the error is a passing one. */
  private async read<T>(bucket: TokenBucket | undefined, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      await bucket?.take();
      try {
        return await send();
      } catch (error) {
        if (!isRetryableAwsError(error) || attempt >= this.options.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  /** Full jitter: random in [0, min(maxDelayMs, baseDelayMs * 2^(retry - 1))). */
  private backoff(retry: number): number {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw new Stop(this.stopError);
  }

  private async callGuard(): Promise<void> {
    if (!this.input.guard) return;
    try {
      await this.input.guard();
    } catch (error) {
      throw this.stop(error);
    }
  }

  private stop(error: unknown): Stop {
    if (!this.stopped) {
      this.stopped = true;
      this.stopError = error;
    }
    return new Stop(error);
  }

  private async append(fields: EntryFields): Promise<void> {
    try {
      await this.input.ledger.append(this.entry(fields));
    } catch (error) {
      const failure = isLedgerFailure(error)
        ? error
        : new LedgerWriteError(`the audit ledger could not record an entry: ${messageOf(error)}`, { cause: error });
      throw this.stop(failure);
    }
  }

  private entry(fields: EntryFields): LedgerEntry {
    const time = new Date(this.now()).toISOString();
    const { commitMessage: _commitMessage, ...context } = this.input.run;
    return { ...context, dryRun: this.dryRun, entryId: newEntryId(time), time, ...fields };
  }
}

// ------------------------------------------------------------------------------------------------ helpers

/** The plan's actions by resource, in plan order; a resource's wave is its first action's. */
function groupByResource(actions: readonly Action[]): ResourceGroup[] {
  const groups = new Map<string, { id: string; kind: ResourceKind; wave: number; actions: Action[] }>();
  for (const action of actions) {
    const group = groups.get(action.id);
    if (group) group.actions.push(action);
    else groups.set(action.id, { id: action.id, kind: action.kind, wave: action.wave, actions: [action] });
  }
  return [...groups.values()];
}

function isTaskDefinitionPath(path: string): boolean {
  return isUnderPointer(path, '/spec/taskDefinition');
}

function requireService(service: Service | undefined, api: string): Service {
  if (!service) throw new TerminalError(`${api} answered without a service`);
  return service;
}

function serviceReferences(service: Service): AwsReferences {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  return {
    ...(service.serviceArn ? { serviceArn: service.serviceArn } : {}),
    ...(service.taskDefinition ? { taskDefinitionArn: service.taskDefinition } : {}),
    ...(primary?.id ? { deploymentId: primary.id } : {}),
  };
}

/** Fields UpdateService must not send because an ignore rule names them ("neither compared nor sent"). A rule is
 * followed through plain objects only: one that points into a list (canonical lists are keyed by name) is left to the
 * planner, and the fields naming the service and its task definition are always sent. */
function withoutIgnoredFields<T extends object>(input: T, rules: readonly string[]): T {
  const copy = structuredClone(input) as Record<string, unknown>;
  for (const rule of rules) {
    if (!rule.startsWith('/spec/') || isUnderPointer(rule, '/spec/taskDefinition')) continue;
    const segments = rule
      .slice('/spec/'.length)
      .split('/')
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (segments.length === 1 && ['cluster', 'service', 'taskDefinition'].includes(segments[0] ?? '')) continue;
    let node: unknown = copy;
    for (const segment of segments.slice(0, -1)) node = isPlainObject(node) ? node[segment] : undefined;
    if (isPlainObject(node)) delete node[segments.at(-1) ?? ''];
  }
  return copy as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index + separator.length)];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function describeError(error: unknown): ResourceError {
  return {
    name: errorName(error) ?? 'Error',
    message: messageOf(error),
    retryable: error instanceof DriftlessError ? error.retryable : isRetryableAwsError(error),
  };
}
