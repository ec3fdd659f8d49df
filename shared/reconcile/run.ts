/** One reconcile run, start to finish: lock → read head → read declarations → read live → plan → apply (ledger
 * intents and outcomes around every write) → run record → release. Used by the Lambda handlers, the CLI and the
 * demo alike. */
import { createHash, randomUUID } from 'node:crypto';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  APPLY_DEFAULTS,
  type ApplyResult,
  applyPlan,
  RESOURCE_OUTCOMES,
  type ResourceOutcome,
  type ResourceResult,
} from '../apply/executor.ts';
import { newEntryId } from '../audit/ids.ts';
import type { AuditLedger, LedgerEntry, RunContext, Trigger } from '../audit/ledger.ts';
import { type ActivePause, describePause } from '../audit/pauses.ts';
import { DriftlessError, isLedgerFailure } from '../errors.ts';
import { CloudFormationLiveReader } from '../live/cloudformation.ts';
import { EcsLiveReader } from '../live/ecs.ts';
import { type LiveReaders, planAgainstLive, type readLiveState } from '../live/read.ts';
import type { FieldChange } from '../plan/diff.ts';
import { type Action, type Plan, summarize } from '../plan/plan.ts';
import type { GitSource } from '../source/git-source.ts';
import { clusterName } from '../spec/checks.ts';
import { compareDiagnostics, type Diagnostic, diagnostic } from '../spec/diagnostics.ts';
import { type Declaration, loadRepository, type RepositorySnapshot } from '../spec/repository.ts';
import type { DriftPolicy } from '../spec/schema.ts';
import type { ChangeProposer } from '../writeback/proposals.ts';
import { adoptionFiles, maskedChanges } from '../writeback/yaml.ts';

/** What a run needs of the lock: a lease it can check before each write and give back at the end. */
export interface RunLock {
  acquire(key: { repository: string; branch: string }, owner: string): Promise<RunLease | undefined>;
}
export interface RunLease {
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
  /** Stack names must start with this. */
  readonly stackNamePrefix?: string;
  /** false: drift found by a sweep is recorded and announced, never reverted (drift policy revert becomes alert;
   * adopt stays allowed, since it writes only to Git). */
  readonly selfHeal?: boolean;
  /** false: nothing is pruned, whatever driftless.yaml says. */
  readonly prune?: boolean;
}

export type ReconcileStatus = 'applied' | 'in-sync' | 'partial' | 'skipped' | 'failed';

export interface ReconcileResult {
  readonly runId: string;
  readonly status: ReconcileStatus;
  readonly commitId?: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly plan?: Plan;
  readonly apply?: ApplyResult;
  /** Why a run was skipped or failed. */
  readonly reason?: string;
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

export interface AdoptedDrift {
  readonly resourceId: string;
  readonly branch: string;
  /** CodeCommit's pull request id; absent for a local repository (the branch is the proposal). */
  readonly pullRequestId?: string;
  /** 'opened' now, or 'exists': the same drift was proposed before. */
  readonly status: 'opened' | 'exists';
}

/** How often a running reconcile renews its lease; well inside the lease time. */
const RENEW_INTERVAL_MS = 15_000;

export async function reconcile(request: ReconcileRequest, deps: ReconcileDependencies): Promise<ReconcileResult> {
  const runId = request.runId ?? `run-${new Date((deps.now ?? Date.now)()).toISOString()}-${randomUUID().slice(0, 8)}`;
  const now = () => new Date((deps.now ?? Date.now)()).toISOString();
  const baseContext = {
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

  // Each shard has its own lease, so shards run side by side while two runs of the same shard never overlap.
  const lockBranch = request.shard
    ? `${request.branch}#${request.shard.group}/${request.shard.index}-of-${request.shard.count}`
    : request.branch;
  const lease = await deps.lock.acquire({ repository: request.repository, branch: lockBranch }, runId);
  if (!lease) {
    // The holder, or the next run, reconciles to the newest head anyway: this event needs nothing more.
    const reason = 'another run holds the lock for this repository and branch; it reconciles to the newest head';
    await deps.ledger.append(
      runEntry({ ...baseContext, commitId: request.eventCommitId ?? 'unknown' }, now(), 'skipped', reason),
    );
    return { runId, status: 'skipped', diagnostics: [], reason };
  }
  const stopRenewal = lease.startAutoRenew(RENEW_INTERVAL_MS);
  try {
    const commitId = await deps.source.resolveRef(request.branch);
    // The three Git reads are independent: made together, a push waits for the slowest, not for their sum.
    const prefix = request.prefix ?? '';
    const [loaded, commit, changes] = await Promise.all([
      loadRepository(deps.source, {
        ref: commitId,
        prefix,
        ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
      }),
      deps.source.commitInfo(commitId),
      changesSince(request, deps.source, commitId, prefix),
    ]);
    const scoped = request.resources
      ? { snapshot: onlyResources(loaded, request.resources), targeted: true }
      : request.shard
        ? { snapshot: shardOf(loaded, request.shard), targeted: true }
        : scopeToChanges(loaded, changes);
    const confined = confine(scoped.snapshot, request.limits);
    const context: RunContext = {
      ...baseContext,
      commitId,
      commitAuthor: `${commit.author.name} <${commit.author.email}>`,
      commitCommitter: `${commit.committer.name} <${commit.committer.email}>`,
      commitMessage: commit.message,
    };
    const readers = deps.readers ?? {
      ecs: new EcsLiveReader({ client: deps.ecs }),
      cloudFormation: new CloudFormationLiveReader({ client: deps.cloudFormation }),
    };
    // Orphans are looked for only when they could be pruned: listing costs a ListServices page per 100 services and
    // a DescribeServices per 10 on every sweep, which a repository that never prunes should not pay.
    const listOrphans = !scoped.targeted && confined.settings?.document.spec.sync.prune === true;
    const live = await planAgainstLive(
      confined,
      readers,
      listOrphans ? { installationId: request.installationId } : {},
    );
    // References resolved: the declarations the plan diffed are the ones to apply.
    const snapshot = live.snapshot;
    const fullPlan = live.plan;
    const pauses = await deps.ledger.activePauses(request.repository, request.branch, (deps.now ?? Date.now)());
    const decided = decideDrift(fullPlan, snapshot, request, pauses);
    const held: HeldResource[] = [...decided.held];
    const adopted: AdoptedDrift[] = [];
    for (const candidate of decided.adopt) {
      const outcome = await adoptDrift(candidate, { snapshot, live: live.live, context, deps, request, commitId });
      if (outcome.adopted) adopted.push(outcome.adopted);
      await deps.ledger.append({
        ...context,
        entryId: newEntryId(now()),
        kind: 'outcome',
        time: now(),
        resourceId: candidate.action.id,
        changes: candidate.action.changes,
        result: 'skipped',
        reason: outcome.reason,
        ...(outcome.adopted?.pullRequestId ? { references: { pullRequestId: outcome.adopted.pullRequestId } } : {}),
      });
      held.push({ ...candidate, reason: outcome.reason });
    }
    for (const resource of decided.held) {
      await deps.ledger.append({
        ...context,
        entryId: newEntryId(now()),
        kind: 'outcome',
        time: now(),
        resourceId: resource.action.id,
        changes: resource.action.changes,
        result: 'skipped',
        reason: resource.reason,
      });
    }
    const plan = decided.plan;
    const firstPass = await applyPlan({
      plan,
      snapshot,
      live: live.live,
      clients: { ecs: deps.ecs, cloudFormation: deps.cloudFormation },
      ledger: deps.ledger,
      run: context,
      installationId: request.installationId,
      options: {
        ...request.applyOptions,
        ...(request.defaultStackRoleArn ? { defaultStackRoleArn: request.defaultStackRoleArn } : {}),
        dryRun: request.dryRun ?? false,
        allowEmpty: request.allowEmpty ?? false,
        managedCount: live.managed?.length ?? 0,
      },
      guard: () => lease.assertHeld(),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
    // Held resources (paused, or drift under alert or adopt) were taken out of `plan`: the second pass cannot see them.
    const afterStacks = await applyAfterStacks({
      request,
      deps,
      readers,
      confined,
      plan,
      apply: firstPass,
      context,
      guard: () => lease.assertHeld(),
    });
    const apply = withHeld(afterStacks.apply, held);
    const diagnostics = [...snapshot.diagnostics, ...afterStacks.diagnostics].sort(compareDiagnostics);
    const status = statusOf(apply, snapshot.pruneBlocked || afterStacks.diagnostics.length > 0);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const reason =
      errors.length > 0
        ? `${errors.length} declaration error${errors.length === 1 ? '' : 's'}: nothing applied from ${[...new Set(errors.map((d) => d.file))].join(', ')}; pruning blocked`
        : undefined;
    await deps.ledger.append(runEntry(context, now(), status, reason, summaryOf(apply)));
    return {
      runId,
      status,
      commitId,
      diagnostics,
      plan: fullPlan,
      ...(afterStacks.plan ? { afterStacks: afterStacks.plan } : {}),
      apply,
      driftHeld: held.map((resource) => resource.action.id),
      driftAdopted: adopted,
      driftPolicies: decided.policies,
      pauses,
      ...(reason ? { reason } : {}),
    };
  } catch (error) {
    if (error instanceof DriftlessError) {
      const reason = `${error.name}: ${error.message}`;
      // A ledger that cannot be written cannot record this failure either; the error itself is the loud record.
      if (!isLedgerFailure(error)) {
        await deps.ledger
          .append(runEntry({ ...baseContext, commitId: request.eventCommitId ?? 'unknown' }, now(), 'failed', reason))
          .catch(() => undefined);
      }
    }
    throw error;
  } finally {
    stopRenewal();
    await lease.release();
  }
}

interface AfterStacksInput {
  readonly request: ReconcileRequest;
  readonly deps: ReconcileDependencies;
  readonly readers: LiveReaders;
  /** The run's declarations before references were resolved. */
  readonly confined: RepositorySnapshot;
  readonly plan: Plan;
  readonly apply: ApplyResult;
  readonly context: RunContext;
  readonly guard: () => Promise<void>;
}

/** Stack outcomes after which a service waiting for the stack may go ahead once it is stable. */
const STACK_WENT_AHEAD: ReadonlySet<ResourceOutcome> = new Set(['applied', 'in-sync']);

/**
 * The second pass of a run: services that waited for stacks they reference, where this run applied those stacks,
 * are applied once the stacks are stable, with the outputs as they are then, in the same run (same ledger context,
 * same lease). A stack that failed, rolled back or is still busy after the polling bound leaves its services
 * waiting for the next run.
 */
async function applyAfterStacks(
  input: AfterStacksInput,
): Promise<{ apply: ApplyResult; plan?: Plan; diagnostics: Diagnostic[] }> {
  const { request, deps, apply } = input;
  const unchanged = { apply, diagnostics: [] };
  if (request.dryRun) return unchanged;
  const outcomes = new Map(apply.resources.map((resource) => [resource.id, resource]));
  const waiting = input.plan.actions.filter(
    (action) =>
      action.type === 'wait' &&
      (action.waitsFor?.length ?? 0) > 0 &&
      outcomes.get(action.id)?.outcome === 'waiting' &&
      action.waitsFor!.every((name) =>
        STACK_WENT_AHEAD.has(outcomes.get(`CloudFormationStack:${name}`)?.outcome ?? 'skipped'),
      ),
  );
  if (waiting.length === 0) return unchanged;

  const names = [...new Set(waiting.flatMap((action) => action.waitsFor ?? []))].sort();
  const options = request.applyOptions ?? {};
  const pollMs = options.stackStablePollMs ?? APPLY_DEFAULTS.stackStablePollMs;
  const maxPolls = Math.max(1, options.stackStableMaxPolls ?? APPLY_DEFAULTS.stackStableMaxPolls);
  const sleep =
    deps.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  let statuses = new Map<string, string>();
  for (let poll = 0; poll < maxPolls; poll++) {
    if (poll > 0) await sleep(pollMs);
    const described = await input.readers.cloudFormation.describeStacks(names);
    statuses = new Map(names.map((name) => [name, String(described.get(name)?.StackStatus ?? 'DOES_NOT_EXIST')]));
    if (![...statuses.values()].some((status) => status.endsWith('_IN_PROGRESS'))) break;
  }
  const unstable = (name: string): string | undefined => {
    const status = statuses.get(name) ?? 'DOES_NOT_EXIST';
    if (status.endsWith('_IN_PROGRESS')) {
      return `stack ${name} was still ${status} after ${maxPolls} checks ${pollMs} ms apart; the next run applies this service`;
    }
    if (!status.endsWith('_COMPLETE') || status.includes('ROLLBACK') || status.startsWith('DELETE')) {
      return `stack ${name} ended ${status}; the next run applies this service`;
    }
    return undefined;
  };
  const stillWaiting = new Map<string, string>();
  const ready: string[] = [];
  for (const action of waiting) {
    const reason = (action.waitsFor ?? []).map(unstable).find((found) => found !== undefined);
    if (reason) stillWaiting.set(action.id, reason);
    else ready.push(action.id);
  }

  let second: { plan: Plan; results: ReadonlyMap<string, ResourceResult>; diagnostics: Diagnostic[] } | undefined;
  if (ready.length > 0) {
    await input.guard();
    const wanted = new Set([...ready, ...names.map((name) => `CloudFormationStack:${name}`)]);
    const subset = {
      ...input.confined,
      declarations: input.confined.declarations.filter((declaration) => wanted.has(declaration.id)),
    };
    const planned = await planAgainstLive(subset, input.readers);
    const readyIds = new Set(ready);
    const actions = planned.plan.actions.filter((action) => readyIds.has(action.id));
    const summary = summarize(actions);
    const plan: Plan = {
      ...planned.plan,
      actions,
      summary,
      hasChanges: summary.create + summary.update + summary.delete + summary.replace + summary.wait > 0,
    };
    const result = await applyPlan({
      // Paused services and held drift never reach this pass (they were taken out of the first plan); what is left
      // follows the stacks this run applied, so it is applied, not judged as drift.
      plan,
      snapshot: planned.snapshot,
      live: planned.live,
      clients: { ecs: deps.ecs, cloudFormation: deps.cloudFormation },
      ledger: deps.ledger,
      run: input.context,
      installationId: request.installationId,
      options: {
        ...request.applyOptions,
        ...(request.defaultStackRoleArn ? { defaultStackRoleArn: request.defaultStackRoleArn } : {}),
        dryRun: false,
        allowEmpty: false,
        managedCount: 0,
      },
      guard: input.guard,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
    const diagnostics = [...planned.diagnostics];
    for (const diagnosticFound of diagnostics) {
      const service = ready.find((id) => {
        const declaration = subset.declarations.find((candidate) => candidate.id === id);
        return declaration?.location.file === diagnosticFound.file;
      });
      if (service) stillWaiting.set(service, `${diagnosticFound.message}; not applied`);
    }
    second = { plan, results: new Map(result.resources.map((resource) => [resource.id, resource])), diagnostics };
  }

  const resources = apply.resources.map((resource): ResourceResult => {
    const again = second?.results.get(resource.id);
    if (again) return again;
    const reason = stillWaiting.get(resource.id);
    return reason ? { ...resource, reason } : resource;
  });
  const counts = Object.fromEntries(RESOURCE_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
    ResourceOutcome,
    number
  >;
  for (const resource of resources) counts[resource.outcome] += 1;
  return {
    apply: { ...apply, resources, counts },
    ...(second ? { plan: second.plan } : {}),
    diagnostics: second?.diagnostics ?? [],
  };
}

/** The declarations of one shard: a shard never prunes, since it cannot see what the other shards declare. */
export function shardOf(snapshot: RepositorySnapshot, shard: Shard): RepositorySnapshot {
  const declarations = snapshot.declarations.filter((declaration) => {
    const group = declaration.kind === 'EcsService' ? clusterName(declaration.document.metadata.cluster) : 'stacks';
    return group === shard.group && shardIndex(declaration.id, shard.count) === shard.index;
  });
  return { ...snapshot, declarations };
}

/** The declarations of the named resources only (a manual-change run); `<Kind>:*` names every declaration of a kind.
 * A targeted run never prunes. */
export function onlyResources(snapshot: RepositorySnapshot, resourceIds: readonly string[]): RepositorySnapshot {
  const wanted = new Set(resourceIds);
  const declarations = snapshot.declarations.filter(
    (declaration) => wanted.has(declaration.id) || wanted.has(`${declaration.kind}:*`),
  );
  return { ...snapshot, declarations };
}

/** Stable across runs and processes: FNV-1a of the resource id. */
export function shardIndex(id: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % Math.max(1, count);
}

/** The shards a sweep fans out to: every cluster with declared services, split so no shard holds more than
 * `maxPerShard` services, plus one shard for the stacks when there are any. */
export function planShards(snapshot: RepositorySnapshot, maxPerShard: number): Shard[] {
  const counts = new Map<string, number>();
  for (const declaration of snapshot.declarations) {
    const group = declaration.kind === 'EcsService' ? clusterName(declaration.document.metadata.cluster) : 'stacks';
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return [...counts].flatMap(([group, count]) => {
    const shards = Math.max(1, Math.ceil(count / Math.max(1, maxPerShard)));
    return Array.from({ length: shards }, (_, index) => ({ group, index, count: shards }));
  });
}

/** The files changed since `request.changedSince`, or undefined for a full run (no previous head, or history that
 * cannot be compared, as after a force-push). */
async function changesSince(
  request: ReconcileRequest,
  source: GitSource,
  commitId: string,
  prefix: string,
): Promise<Awaited<ReturnType<GitSource['changedFiles']>> | undefined> {
  if (!request.changedSince || request.changedSince === commitId || /^0+$/.test(request.changedSince)) return undefined;
  try {
    return await source.changedFiles(request.changedSince, commitId, prefix);
  } catch {
    return undefined;
  }
}

/** A push reconciles what it changed: the declarations whose files (or templates) differ from `changedSince`.
 * A change to Settings, or history that cannot be compared, means everything. */
function scopeToChanges(
  snapshot: RepositorySnapshot,
  changes: Awaited<ReturnType<GitSource['changedFiles']>> | undefined,
): { snapshot: RepositorySnapshot; targeted: boolean } {
  if (!changes) return { snapshot, targeted: false };
  const changed = new Set(
    changes.flatMap((change) => [change.path, ...(change.previousPath ? [change.previousPath] : [])]),
  );
  const settingsChanged = [...changed].some((path) => /(^|\/)driftless\.ya?ml$/.test(path));
  if (settingsChanged) return { snapshot, targeted: false };
  const inScope = (declaration: Declaration) =>
    changed.has(declaration.location.file) ||
    (declaration.kind === 'CloudFormationStack' && changed.has(declaration.template.path));
  // A changed stack may change its outputs: the services referencing it are reconciled with it.
  const changedStacks = new Set(
    snapshot.declarations.flatMap((declaration) =>
      declaration.kind === 'CloudFormationStack' && inScope(declaration) ? [declaration.document.metadata.name] : [],
    ),
  );
  const declarations = snapshot.declarations.filter(
    (declaration) =>
      inScope(declaration) ||
      (declaration.kind === 'EcsService' &&
        (declaration.references ?? []).some((reference) => changedStacks.has(reference.stack))),
  );
  return { snapshot: { ...snapshot, declarations }, targeted: true };
}

/** Refuses, before any AWS call, declarations outside what the deployment allows, and turns pruning off when the
 * deployment does; each refusal is an error diagnostic, so it also blocks pruning for the run. */
export function confine(snapshot: RepositorySnapshot, limits: DeploymentLimits | undefined): RepositorySnapshot {
  if (!limits) return snapshot;
  const refused: Diagnostic[] = [];
  const declarations = snapshot.declarations.filter((declaration) => {
    if (declaration.kind === 'EcsService' && limits.allowedClusters) {
      const cluster = clusterName(declaration.document.metadata.cluster);
      if (!limits.allowedClusters.map(clusterName).includes(cluster)) {
        refused.push(
          diagnostic(
            'E_TARGET',
            declaration.location,
            `cluster ${cluster} is not one this installation may touch (allowed: ${limits.allowedClusters.join(', ') || 'none'})`,
          ),
        );
        return false;
      }
    }
    if (declaration.kind === 'CloudFormationStack' && limits.stackNamePrefix !== undefined) {
      if (!declaration.document.metadata.name.startsWith(limits.stackNamePrefix)) {
        refused.push(
          diagnostic(
            'E_TARGET',
            declaration.location,
            `stack ${declaration.document.metadata.name} does not start with ${limits.stackNamePrefix}, the prefix this installation may touch`,
          ),
        );
        return false;
      }
    }
    return true;
  });
  const settings =
    snapshot.settings && limits.prune === false
      ? {
          ...snapshot.settings,
          document: {
            ...snapshot.settings.document,
            spec: {
              ...snapshot.settings.document.spec,
              sync: { ...snapshot.settings.document.spec.sync, prune: false },
            },
          },
        }
      : snapshot.settings;
  return {
    ...snapshot,
    ...(settings ? { settings } : {}),
    declarations,
    diagnostics: [...snapshot.diagnostics, ...refused].sort(compareDiagnostics),
    pruneBlocked: snapshot.pruneBlocked || refused.length > 0,
  };
}

/** A resource whose writes the run holds back, with the changes it found (all of the resource's actions') and why. */
interface HeldResource {
  readonly action: Action;
  readonly reason: string;
}

interface DriftDecision {
  /** The plan apply is given: held and adopted resources left out. */
  readonly plan: Plan;
  readonly held: readonly HeldResource[];
  /** Drifted resources whose policy is adopt: proposed back to Git, never reverted. */
  readonly adopt: readonly HeldResource[];
  readonly policies: Record<string, DriftPolicy | 'paused'>;
}

const WRITES: ReadonlySet<Action['type']> = new Set(['create', 'update', 'register-task-definition', 'prune']);
const DRIFT: ReadonlySet<Action['type']> = new Set(['update', 'register-task-definition']);

/**
 * What a sweep does with drift, per resource: declaration `sync.drift` > Settings `spec.sync.drift` > revert when
 * self-heal is on (declaration `sync.selfHeal` > Settings `selfHeal`), alert when off. The deployment's
 * `limits.selfHeal === false` turns revert into alert; adopt stays allowed, since it writes only to Git.
 */
export function driftPolicyOf(
  declaration: Declaration,
  snapshot: RepositorySnapshot,
  limits: DeploymentLimits | undefined,
): DriftPolicy {
  const settings = snapshot.settings?.document.spec.sync;
  const selfHeal = declaration.document.sync?.selfHeal ?? settings?.selfHeal ?? true;
  const policy = declaration.document.sync?.drift ?? settings?.drift ?? (selfHeal ? 'revert' : 'alert');
  return policy === 'revert' && limits?.selfHeal === false ? 'alert' : policy;
}

function policyReason(policy: DriftPolicy, declaration: Declaration, limits: DeploymentLimits | undefined): string {
  const why =
    declaration.document.sync?.drift !== undefined
      ? 'sync.drift in the declaration'
      : limits?.selfHeal === false
        ? 'the deployment turns self-heal off'
        : 'self-heal is off';
  return `drift detected; drift policy ${policy} (${why}), so it is recorded and announced, not reverted`;
}

/** Splits the plan: what apply may write, what is held (alert, or a pause) and what is to be adopted. A pause holds
 * every write to its resource, on any trigger; a drift policy applies to sweeps and manual-change runs only. */
function decideDrift(
  plan: Plan,
  snapshot: RepositorySnapshot,
  request: ReconcileRequest,
  pauses: readonly ActivePause[],
): DriftDecision {
  const driftRun = request.trigger === 'schedule' || request.trigger === 'manual-change';
  const pauseOf = new Map(pauses.map((pause) => [pause.resourceId, pause]));
  const declarations = new Map(snapshot.declarations.map((declaration) => [declaration.id, declaration]));
  // Grouped once: a sweep of thousands of services must not scan the whole plan for each of them.
  const byResource = new Map<string, Action[]>();
  for (const action of plan.actions) {
    const group = byResource.get(action.id);
    if (group) group.push(action);
    else byResource.set(action.id, [action]);
  }
  const held: HeldResource[] = [];
  const adopt: HeldResource[] = [];
  const policies: Record<string, DriftPolicy | 'paused'> = {};
  const removed = new Set<string>();
  for (const [id, actions] of byResource) {
    const pause = pauseOf.get(id);
    // A paused service waiting for a stack must not be applied by the second pass either.
    const writes = actions.filter((action) => WRITES.has(action.type) || (pause && action.type === 'wait'));
    if (writes.length === 0) continue;
    const merged: Action = {
      ...(writes.find((action) => action.type === 'update') ?? writes[0]!),
      changes: writes.flatMap((action) => action.changes),
    };
    const drifted = driftRun && writes.every((action) => DRIFT.has(action.type));
    if (pause) {
      if (drifted) policies[id] = 'paused';
      const what = drifted ? 'drift recorded, not reverted' : 'changes planned, not applied';
      held.push({ action: merged, reason: `${describePause(pause)} (${what})` });
      removed.add(id);
      continue;
    }
    const declaration = declarations.get(id);
    if (!drifted || !declaration) continue;
    const policy = driftPolicyOf(declaration, snapshot, request.limits);
    policies[id] = policy;
    if (policy === 'revert') continue;
    removed.add(id);
    if (policy === 'alert') held.push({ action: merged, reason: policyReason(policy, declaration, request.limits) });
    else adopt.push({ action: merged, reason: '' });
  }
  if (removed.size === 0) return { plan, held, adopt, policies };
  return {
    plan: { ...plan, actions: plan.actions.filter((action) => !removed.has(action.id)) },
    held,
    adopt,
    policies,
  };
}

/** The apply result with the held resources in it, each skipped with its reason. */
function withHeld(apply: ApplyResult, held: readonly HeldResource[]): ApplyResult {
  if (held.length === 0) return apply;
  const counts = { ...apply.counts, skipped: apply.counts.skipped + held.length };
  return {
    ...apply,
    resources: [
      ...apply.resources,
      ...held.map((resource) => ({
        id: resource.action.id,
        kind: resource.action.kind,
        outcome: 'skipped' as const,
        reason: resource.reason,
      })),
    ],
    counts,
  };
}

interface AdoptContext {
  readonly snapshot: RepositorySnapshot;
  readonly live: Awaited<ReturnType<typeof readLiveState>>['live'];
  readonly context: RunContext;
  readonly deps: ReconcileDependencies;
  readonly request: ReconcileRequest;
  readonly commitId: string;
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
async function adoptDrift(
  candidate: HeldResource,
  input: AdoptContext,
): Promise<{ reason: string; adopted?: AdoptedDrift }> {
  const { action } = candidate;
  const fallback = (why: string) => ({
    reason: `drift detected; drift policy adopt, but ${why}: falling back to alert, so it is recorded and announced, not reverted`,
  });
  const proposer = input.deps.proposer;
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
    const text = new TextDecoder().decode(await input.deps.source.readFile(input.commitId, declaration.location.file));
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
  const who = input.context.changedBy
    ? `Changed by ${input.context.changedBy}${input.context.apiCall ? ` (${input.context.apiCall})` : ''}${input.request.manualChange ? ` at ${input.request.manualChange.eventTime}` : ''}.`
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
      baseCommitId: input.commitId,
      targetBranch: input.request.branch,
      files,
      commitMessage: `${title}\n\nProposed by driftless (run ${input.context.runId}).`,
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

function statusOf(apply: ApplyResult, pruneBlocked: boolean): ReconcileStatus {
  const outcomes = apply.resources.map((resource) => resource.outcome);
  if (outcomes.includes('failed')) return outcomes.includes('applied') ? 'partial' : 'failed';
  if (pruneBlocked) return outcomes.includes('applied') ? 'partial' : 'failed';
  return outcomes.includes('applied') ? 'applied' : 'in-sync';
}

function summaryOf(apply: ApplyResult): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const resource of apply.resources) summary[resource.outcome] = (summary[resource.outcome] ?? 0) + 1;
  return summary;
}

function runEntry(
  context: Omit<RunContext, 'commitMessage'> & { commitMessage?: string },
  time: string,
  status: ReconcileStatus,
  reason?: string,
  summary?: Record<string, number>,
): LedgerEntry {
  const { commitMessage: _message, ...fields } = context;
  return {
    ...fields,
    entryId: newEntryId(time),
    kind: 'run',
    time,
    result:
      status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : context.dryRun ? 'dry-run' : 'succeeded',
    ...(reason ? { reason } : {}),
    ...(summary ? { summary } : {}),
  };
}
