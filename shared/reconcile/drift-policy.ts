/** What a run does with drift and with paused resources: which writes apply may make, which are held (drift policy
 * alert, or a break-glass pause) and which drift is to be adopted into Git. Pure. */
import type { ApplyResult } from '../apply/executor.ts';
import { type ActivePause, describePause } from '../audit/pauses.ts';
import type { Action, Plan } from '../plan/plan.ts';
import type { Declaration, RepositorySnapshot } from '../spec/repository.ts';
import type { DriftPolicy } from '../spec/schema.ts';
import type { DeploymentLimits, ReconcileRequest } from './types.ts';

/** A resource whose writes the run holds back, with the changes it found (all of the resource's actions') and why. */
export interface HeldResource {
  readonly action: Action;
  readonly reason: string;
}

export interface DriftDecision {
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
export function decideDrift(
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
    const drifted = writes.every((action) => DRIFT.has(action.type)) && isDrift(writes, driftRun);
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

/** Three-way: a difference is drift when the resource's record says Git has not changed since the last apply; a Git
 * change not applied yet (a skipped or dead-lettered push) is never drift, whatever the trigger, so no drift policy
 * holds it back or proposes it away. Without a record (applied before records existed), sweeps and manual-change runs
 * judge it drift, as they always did. */
function isDrift(writes: readonly Action[], driftRun: boolean): boolean {
  const origins = new Set(writes.map((action) => action.origin ?? 'unrecorded'));
  if (origins.has('pending')) return false;
  return origins.has('drift') || driftRun;
}

/** The apply result with the held resources in it, each skipped with its reason. */
export function withHeld(apply: ApplyResult, held: readonly HeldResource[]): ApplyResult {
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
