/** Which declarations a run reconciles: a manual-change run's resources, a shard of a fanned-out sweep, what a push
 * changed, or everything; whether it may look for prune candidates (only a run of everything may); and the part of
 * the account's ECS read rate a shard worker may use. */
import { APPLY_WRITE_RATES, type WriteRates } from '../apply/contract.ts';
import { ECS_CLIENT_RATES } from '../aws/token-bucket.ts';
import type { EcsReadRates, RateLimit } from '../live/ecs.ts';
import type { FileChange } from '../source/git-source.ts';
import { clusterName } from '../spec/checks.ts';
import type { Declaration, RepositorySnapshot } from '../spec/repository.ts';
import type { ReconcileRequest, Shard } from './types.ts';

/** The declarations a run reconciles; `targeted` when they are a part of the repository, so nothing may be pruned. */
export interface Scope {
  readonly snapshot: RepositorySnapshot;
  readonly targeted: boolean;
}

/** The run's scope, in order of precedence: the named resources, the shard, what a push changed, everything. */
export function scopeOf(snapshot: RepositorySnapshot, request: ReconcileRequest, changes?: FileChange[]): Scope {
  if (request.resources) return { snapshot: onlyResources(snapshot, request.resources), targeted: true };
  if (request.shard) return { snapshot: shardOf(snapshot, request.shard), targeted: true };
  return scopeToChanges(snapshot, changes);
}

/** The lease a run takes. Each shard has its own lease, so shards run side by side while two runs of the same shard
 * never overlap. */
export function leaseKey(request: ReconcileRequest): { repository: string; branch: string } {
  const branch = request.shard
    ? `${request.branch}#${request.shard.group}/${request.shard.index}-of-${request.shard.count}`
    : request.branch;
  return { repository: request.repository, branch };
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

/** A push reconciles what it changed: the declarations whose files (or templates) differ from `changedSince`.
 * A change to Settings, or history that cannot be compared, means everything. */
export function scopeToChanges(snapshot: RepositorySnapshot, changes: FileChange[] | undefined): Scope {
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

/**
 * The ECS read rates one of `workers` sweep-shard workers running side by side allows itself. ECS throttles per
 * account and region, not per caller, and the workers are separate Lambda invocations that cannot see each other's
 * pace: each takes an equal, fixed part of what one run allows itself (ECS_CLIENT_RATES), burst and refill alike, so
 * together they never ask for more than one run would. `workers` is the worker function's concurrency bound, which
 * the stack sets (reserved concurrency and the queue's maxConcurrency) and hands the worker as DRIFTLESS_READ_SHARE.
 * The burst is divided exactly, not rounded down, so the shards' reads add up to one run's and never take longer.
 */
export function workerReadRates(workers: number): Required<EcsReadRates> {
  return {
    describeServices: shareOf(ECS_CLIENT_RATES.describeServices, workers),
    describeTaskDefinition: shareOf(ECS_CLIENT_RATES.describeTaskDefinition, workers),
  };
}

/** The same division for what apply does in a worker: its writes (drift reverted by a shard) and the reads around
 * them, so shards reverting drift together stay inside the account's write rates too. */
export function workerApplyRates(workers: number): {
  readonly rates: Required<WriteRates>;
  readonly readRates: Required<EcsReadRates>;
} {
  return {
    rates: {
      serviceWrites: shareOf(APPLY_WRITE_RATES.serviceWrites, workers),
      registerTaskDefinition: shareOf(APPLY_WRITE_RATES.registerTaskDefinition, workers),
      cloudFormationWrites: shareOf(APPLY_WRITE_RATES.cloudFormationWrites, workers),
    },
    readRates: workerReadRates(workers),
  };
}

function shareOf(rate: RateLimit, workers: number): RateLimit {
  const share = Math.max(1, workers);
  return { capacity: Math.max(1, rate.capacity / share), refillPerSecond: rate.refillPerSecond / share };
}
