/** The second pass of a run: services that waited for the stacks they reference, applied once this run's stacks
 * are stable, with the outputs as they are then. */
import {
  APPLY_DEFAULTS,
  type ApplyResult,
  RESOURCE_OUTCOMES,
  type ResourceOutcome,
  type ResourceResult,
} from '../apply/executor.ts';
import type { LiveReaders } from '../live/read.ts';
import { type Plan, summarize } from '../plan/plan.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import { applyPass } from './apply-pass.ts';
import type { ActiveRun } from './context.ts';
import { planAgainstLive } from './plan-run.ts';

interface AfterStacksInput {
  readonly readers: LiveReaders;
  /** The run's declarations before references were resolved. */
  readonly confined: RepositorySnapshot;
  readonly plan: Plan;
  readonly apply: ApplyResult;
}

/** The run's apply result with the second pass merged in, the second plan when there was one, and the errors it
 * found (a reference that no longer resolves). */
export interface AfterStacks {
  readonly apply: ApplyResult;
  readonly plan?: Plan;
  readonly diagnostics: Diagnostic[];
}

/** Stack outcomes after which a service waiting for the stack may go ahead once it is stable. */
const STACK_WENT_AHEAD: ReadonlySet<ResourceOutcome> = new Set(['applied', 'in-sync']);

/**
 * The second pass of a run: services that waited for stacks they reference, where this run applied those stacks,
 * are applied once the stacks are stable, with the outputs as they are then, in the same run (same ledger context,
 * same lease). A stack that failed, rolled back or is still busy after the polling bound leaves its services
 * waiting for the next run.
 */
export async function applyAfterStacks(run: ActiveRun, input: AfterStacksInput): Promise<AfterStacks> {
  const { request, deps } = run;
  const { apply } = input;
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
    await run.guard();
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
    // Paused services and held drift never reach this pass (they were taken out of the first plan); what is left
    // follows the stacks this run applied, so it is applied, not judged as drift.
    const result = await applyPass(run, {
      plan,
      snapshot: planned.snapshot,
      live: planned.live,
      dryRun: false,
      allowEmpty: false,
      managedCount: 0,
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
