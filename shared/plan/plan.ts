/** The plan: declarations paired with live resources, each pair diffed in canonical form, and one ordered list of
 * actions per wave. Pure: everything it needs is passed in, so the same plan comes out of the same inputs. */

import type {
  CloudFormationStackDeclaration,
  Declaration,
  EcsServiceDeclaration,
  RepositorySnapshot,
} from '../spec/repository.ts';
import type { ResourceKind, SettingsDocument } from '../spec/schema.ts';
import { type AppliedRecord, appliedRecordOf, type ChangeOrigin, desiredHashOf, originOf } from './applied.ts';
import { diff, type FieldChange, isUnderPointer, removePointer } from './diff.ts';
import { type Health, isStackBusy, serviceHealth, stackHealth } from './health.ts';
import { autoscalingIgnore, compare, type IgnoredDifference, ignoreRules } from './ignore.ts';
import type { LiveEcsService, LiveResource, LiveStack, LiveState } from './live-state.ts';
import { mask } from './mask.ts';
import {
  type JsonObject,
  normalizeDeclaredService,
  normalizeDeclaredStack,
  normalizeLiveService,
  normalizeLiveStack,
} from './normalize.ts';
import { pruneGuards } from './prune-guards.ts';

export { removePointer } from './diff.ts';
export type { IgnoredDifference } from './ignore.ts';
export { type PruneGuardInput, pruneGuards } from './prune-guards.ts';

export type ActionType =
  | 'create'
  | 'update'
  | 'register-task-definition'
  | 'replace-required'
  | 'prune'
  | 'wait'
  | 'in-sync';

export interface Action {
  readonly type: ActionType;
  readonly id: string;
  readonly kind: ResourceKind;
  readonly wave: number;
  /** The declaration file, when there is one (prune candidates have none). */
  readonly file?: string;
  readonly changes: readonly FieldChange[];
  readonly ignored: readonly IgnoredDifference[];
  readonly health: Health;
  /** Why this action, in a sentence, where the type alone does not say. */
  readonly reason?: string;
  /** For prune: the guards that would stop it. Empty means apply may prune. */
  readonly blockedBy?: readonly string[];
  /** The `${stack:…}` references of the declaration, with the values they resolved to; absent when none. */
  readonly resolved?: readonly ResolvedReference[];
  /** For wait: the stacks (names) whose pending operation the resource waits for. */
  readonly waitsFor?: readonly string[];
  /** Hash of the canonical desired state (shared/plan/applied.ts): apply records it on the resource. */
  readonly desiredHash?: string;
  /** For a resource that differs from Git: a Git change not applied yet, or drift (three-way, see applied.ts). */
  readonly origin?: ChangeOrigin;
  /** The record of the last apply the live resource carries (commit and desired hash), when it has one. */
  readonly lastApplied?: AppliedRecord;
  /** A pending Git change's resource that live also drifted from since the last apply: those fields (live → last
   * applied). Git wins; the run records them (shared/reconcile/hidden-drift.ts). */
  readonly hiddenDrift?: readonly FieldChange[];
}

/** A `${stack:<name>.<OutputKey>}` reference and the stack output it resolved to. */
export interface ResolvedReference {
  /** JSON pointer of the field in the declaration (`/spec/networkConfiguration/awsvpcConfiguration/subnets/0`). */
  readonly path: string;
  /** The reference as written. */
  readonly reference: string;
  readonly stack: string;
  readonly outputKey: string;
  readonly value: string;
}

/** What a service's references mean for its plan (worked out by shared/plan/references.ts). */
export interface ServiceReferences {
  readonly resolved: readonly ResolvedReference[];
  /** Referenced declared stacks with a pending action: the service waits for them to be stable. */
  readonly waitsFor: readonly string[];
  /** One more than the wave of each referenced declared stack: the service runs after them. */
  readonly minimumWave: number;
  /** Every reference was substituted in the declaration (false while a waited-for stack lacks the output). */
  readonly complete: boolean;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly replace: number;
  readonly wait: number;
  readonly inSync: number;
}

export interface Plan {
  readonly commitId: string;
  /** Ordered: by wave, then kind (stacks first), then id; a resource's register-task-definition precedes its update. */
  readonly actions: readonly Action[];
  readonly summary: PlanSummary;
  /** True when the plan has anything to do (or to report as needing a person). */
  readonly hasChanges: boolean;
}

/** A live resource tagged as managed by this installation: where prune candidates come from. */
export interface ManagedResource {
  readonly id: string;
  readonly kind: ResourceKind;
}

export interface PlanInput {
  readonly snapshot: RepositorySnapshot;
  readonly live: LiveState;
  /** Live resources tagged as managed by this installation (from the orphan listing); omit to plan no prunes. */
  readonly managed?: readonly ManagedResource[];
  /** Services' stack references by declaration id (see shared/plan/references.ts); omit when there are none. */
  readonly references?: ReadonlyMap<string, ServiceReferences>;
}

const DEFAULT_WAVE: Record<ResourceKind, number> = { CloudFormationStack: 0, EcsService: 1 };
/** ECS cannot change these on an existing service: a new service is needed. */
const REPLACE_FIELDS = ['/spec/launchType', '/spec/schedulingStrategy', '/spec/deploymentController'] as const;

/** Services planned while the reads of others were still in flight, by their live state: a sweep then plans each
 * service as its read arrives, and only what is left after the last read waits for it. Keyed by the live object, which
 * every read makes anew, and taken when used, so an entry never outlives the sweep that made it. */
const plannedAhead = new WeakMap<
  LiveEcsService,
  { readonly declaration: EcsServiceDeclaration; readonly settings: SettingsDocument | undefined; actions: Action[] }
>();

/** Plans `declaration` against `live` now, for buildPlan to take when it meets the same declaration, live state and
 * settings; anything else (a declaration its stack references rewrote) is planned there as usual. */
export function planServiceAhead(
  declaration: EcsServiceDeclaration,
  live: LiveEcsService,
  settings: SettingsDocument | undefined,
): void {
  plannedAhead.set(live, { declaration, settings, actions: planService(declaration, live, settings) });
}

function plannedService(
  declaration: EcsServiceDeclaration,
  live: LiveEcsService | undefined,
  settings: SettingsDocument | undefined,
): Action[] {
  const ahead = live ? plannedAhead.get(live) : undefined;
  if (live && ahead?.declaration === declaration && ahead.settings === settings) {
    plannedAhead.delete(live);
    return ahead.actions;
  }
  return planService(declaration, live, settings);
}

export function buildPlan(input: PlanInput): Plan {
  const settings = input.snapshot.settings?.document;
  const actions: Action[] = [];
  for (const declaration of input.snapshot.declarations) {
    const live = input.live.resources.get(declaration.id);
    const planned =
      declaration.kind === 'EcsService'
        ? withReferences(
            plannedService(declaration, live?.kind === 'EcsService' ? live : undefined, settings),
            input.references?.get(declaration.id),
          )
        : planStack(declaration, live?.kind === 'CloudFormationStack' ? live : undefined, settings);
    actions.push(...withOrigin(planned, live));
  }
  actions.push(...planPrunes(input, settings));
  actions.sort(compareActions);
  const summary = summarize(actions);
  return {
    commitId: input.snapshot.commitId,
    actions,
    summary,
    hasChanges: summary.create + summary.update + summary.delete + summary.replace + summary.wait > 0,
  };
}

/** A service's actions as its references make them: after the stacks it references, each value shown with where it
 * came from, and one wait while a referenced stack has an operation pending. */
function withReferences(actions: Action[], references: ServiceReferences | undefined): Action[] {
  if (!references) return actions;
  // The values are shown once per resource: on its last action (the update, create or in-sync).
  const placed = actions.map((action, index) => ({
    ...action,
    wave: Math.max(action.wave, references.minimumWave),
    ...(references.resolved.length > 0 && index === actions.length - 1 ? { resolved: references.resolved } : {}),
  }));
  if (references.waitsFor.length === 0) return placed;
  const first = placed[0]!;
  const stacks = references.waitsFor;
  return [
    {
      ...first,
      ...(references.resolved.length > 0 ? { resolved: references.resolved } : {}),
      type: 'wait',
      changes: references.complete ? placed.flatMap((action) => action.changes) : [],
      ignored: placed.flatMap((action) => action.ignored),
      reason: `waits for stack${stacks.length === 1 ? '' : 's'} ${stacks.join(', ')} to be stable: its outputs may change`,
      waitsFor: stacks,
    },
  ];
}

/** Each action of one resource told apart three ways: a create is always pending; a difference is pending when Git
 * changed since the last apply the resource records, drift when Git did not. */
function withOrigin(actions: Action[], live: LiveResource | undefined): Action[] {
  const record = appliedRecordOf(live);
  const lastApplied = record.desiredHash !== undefined ? { lastApplied: record } : {};
  return actions.map((action) => {
    if (action.desiredHash === undefined || action.type === 'in-sync') return { ...action, ...lastApplied };
    const origin: ChangeOrigin = action.type === 'create' ? 'pending' : originOf(action.desiredHash, record);
    return { ...action, origin, ...lastApplied };
  });
}

export function waveOf(declaration: Declaration): number {
  return declaration.document.sync?.wave ?? DEFAULT_WAVE[declaration.kind];
}

function planService(
  declaration: EcsServiceDeclaration,
  live: LiveEcsService | undefined,
  settings: SettingsDocument | undefined,
): Action[] {
  const base: { id: string; kind: 'EcsService'; wave: number; file: string; desiredHash?: string } = {
    id: declaration.id,
    kind: 'EcsService' as const,
    wave: waveOf(declaration),
    file: declaration.location.file,
  };
  const spec = declaration.document.spec as unknown as Record<string, unknown>;
  const desired = normalizeDeclaredService(spec);
  base.desiredHash = desiredHashOf(desired);
  if (!live) {
    return [
      {
        ...base,
        type: 'create',
        changes: mask(diff(undefined, desired)),
        ignored: [],
        health: 'Missing',
      },
    ];
  }
  const current = normalizeLiveService(live.service, live.taskDefinition, live.taskDefinitionTags, spec);
  const { changes, ignored } = compare(current, desired, ignoreRules(declaration, settings));
  const autoscaledCount = autoscalingIgnore(declaration, live);
  const health = serviceHealth(live.service);
  const allIgnored = mask([...ignored, ...autoscaledCount]) as IgnoredDifference[];
  if (changes.length === 0) return [{ ...base, type: 'in-sync', changes: [], ignored: allIgnored, health }];

  const replaceFields = changes.filter((change) => REPLACE_FIELDS.some((field) => isUnderPointer(change.path, field)));
  const switchesLaunchModel = launchModelSwitch(spec, live.service);
  if (replaceFields.length > 0 || switchesLaunchModel) {
    const fields = [...new Set(replaceFields.map((change) => change.path))];
    if (switchesLaunchModel) fields.push('launchType ↔ capacityProviderStrategy');
    return [
      {
        ...base,
        type: 'replace-required',
        changes: mask(changes),
        ignored: allIgnored,
        health,
        reason: `ECS cannot change ${fields.join(', ')} on an existing service; applying needs a new service (explicit opt-in)`,
      },
    ];
  }

  const taskDefinitionChanges = changes.filter((change) => isUnderPointer(change.path, '/spec/taskDefinition'));
  const serviceChanges = changes.filter((change) => !isUnderPointer(change.path, '/spec/taskDefinition'));
  const actions: Action[] = [];
  if (taskDefinitionChanges.length > 0) {
    actions.push({
      ...base,
      type: 'register-task-definition',
      changes: mask(taskDefinitionChanges),
      ignored: [],
      health,
      reason: `the task definition differs from the running revision ${String(live.service.taskDefinition ?? '')}`,
    });
  }
  actions.push({
    ...base,
    type: 'update',
    changes: mask(serviceChanges),
    ignored: allIgnored,
    health,
    ...(taskDefinitionChanges.length > 0 && serviceChanges.length === 0
      ? { reason: 'roll out the new task definition revision' }
      : {}),
  });
  return actions;
}

/** Moving between a launch type and a capacity provider strategy is not an in-place update. */
function launchModelSwitch(spec: Record<string, unknown>, service: Record<string, unknown>): boolean {
  const declaredStrategy = Array.isArray(spec.capacityProviderStrategy) && spec.capacityProviderStrategy.length > 0;
  const liveStrategy = Array.isArray(service.capacityProviderStrategy) && service.capacityProviderStrategy.length > 0;
  if (spec.launchType !== undefined && liveStrategy) return true;
  return declaredStrategy && !liveStrategy && service.launchType !== undefined;
}

function planStack(
  declaration: CloudFormationStackDeclaration,
  live: LiveStack | undefined,
  settings: SettingsDocument | undefined,
): Action[] {
  const spec = declaration.document.spec as unknown as Record<string, unknown>;
  const desired = normalizeDeclaredStack({ spec, template: declaration.template.parsed });
  const base = {
    id: declaration.id,
    kind: 'CloudFormationStack' as const,
    wave: waveOf(declaration),
    file: declaration.location.file,
    desiredHash: desiredHashOf(desired),
  };
  const status = live ? String(live.stack.StackStatus ?? '') : undefined;
  if (!live || status === 'REVIEW_IN_PROGRESS') {
    return [{ ...base, type: 'create', changes: mask(diff(undefined, desired)), ignored: [], health: 'Missing' }];
  }
  const health = stackHealth(status);
  if (status !== undefined && isStackBusy(status)) {
    return [
      {
        ...base,
        type: 'wait',
        changes: [],
        ignored: [],
        health,
        reason: `the stack is ${status}; it is planned again once CloudFormation has finished`,
      },
    ];
  }
  let current = normalizeLiveStack(live.stack, live.templateBody, declaration.template.parsed, spec);
  let wanted = desired;
  if (live.templateBody === undefined) {
    // Not read (or unreadable): leave the template out rather than report it as removed.
    current = removePointer(current, '/spec/template') as JsonObject;
    wanted = removePointer(wanted, '/spec/template') as JsonObject;
  }
  const { changes, ignored } = compare(current, wanted, ignoreRules(declaration, settings));
  if (status === 'ROLLBACK_COMPLETE') {
    return [
      {
        ...base,
        type: 'replace-required',
        changes: mask(changes),
        ignored: mask(ignored) as IgnoredDifference[],
        health,
        reason: 'the stack failed to create and was rolled back; CloudFormation can only delete it and create it again',
      },
    ];
  }
  return [
    {
      ...base,
      type: changes.length === 0 ? 'in-sync' : 'update',
      changes: mask(changes),
      ignored: mask(ignored) as IgnoredDifference[],
      health,
    },
  ];
}

/** Prune candidates and the guards that would stop apply from deleting them. */
function planPrunes(input: PlanInput, settings: SettingsDocument | undefined): Action[] {
  const declared = new Set(input.snapshot.declarations.map((declaration) => declaration.id));
  const managed = input.managed ?? [];
  const candidates = managed.filter((resource) => !declared.has(resource.id));
  if (candidates.length === 0) return [];
  const guards = pruneGuards({
    pruneEnabled: settings?.spec.sync.prune ?? false,
    pruneBlocked: input.snapshot.pruneBlocked,
    managedCount: managed.length,
    candidateCount: candidates.length,
    maxPruneFraction: settings?.spec.sync.maxPruneFraction ?? 0.2,
    allowEmpty: false,
  });
  return candidates.map((candidate) => {
    const live: LiveResource | undefined = input.live.resources.get(candidate.id);
    const health =
      live?.kind === 'EcsService'
        ? serviceHealth(live.service)
        : live?.kind === 'CloudFormationStack'
          ? stackHealth(String(live.stack.StackStatus ?? ''))
          : 'Unknown';
    return {
      type: 'prune' as const,
      id: candidate.id,
      kind: candidate.kind,
      wave: DEFAULT_WAVE[candidate.kind],
      changes: [],
      ignored: [],
      health,
      reason: 'managed by this installation, and no longer declared in Git',
      blockedBy: guards,
    };
  });
}

const TYPE_ORDER: Record<ActionType, number> = {
  'register-task-definition': 0,
  create: 1,
  update: 2,
  'replace-required': 3,
  wait: 4,
  prune: 5,
  'in-sync': 6,
};

function compareActions(a: Action, b: Action): number {
  if (a.wave !== b.wave) return a.wave - b.wave;
  if (a.kind !== b.kind) return a.kind === 'CloudFormationStack' ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

/** The counts a plan's summary line shows, for a list of actions. */
export function summarize(actions: readonly Action[]): PlanSummary {
  const byResource = new Map<string, ActionType>();
  for (const action of actions) {
    // A register-task-definition and its update are one resource to update.
    if (!byResource.has(action.id) || action.type === 'update') byResource.set(action.id, action.type);
  }
  const count = (...types: ActionType[]) => [...byResource.values()].filter((type) => types.includes(type)).length;
  return {
    create: count('create'),
    update: count('update', 'register-task-definition'),
    delete: count('prune'),
    replace: count('replace-required'),
    wait: count('wait'),
    inSync: count('in-sync'),
  };
}
