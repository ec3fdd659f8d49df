/** How a run hands a plan to the executor: the same clients, ledger, run context, lease check and options for the
 * first pass and for the second pass after stacks. */
import { type ApplyResult, applyPlan } from '../apply/executor.ts';
import type { LiveState } from '../plan/live-state.ts';
import type { Plan } from '../plan/plan.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { ActiveRun } from './context.ts';
import type { LivePlan } from './plan-run.ts';
import { workerApplyRates } from './scope.ts';

export interface Pass {
  readonly plan: Plan;
  /** The declarations to apply (references resolved) and the live state the plan was made against. */
  readonly snapshot: RepositorySnapshot;
  readonly live: LiveState;
  readonly dryRun: boolean;
  readonly allowEmpty: boolean;
  /** How many resources this installation manages (the prune guards' denominator); 0 when none were listed. */
  readonly managedCount: number;
}

export function applyPass(run: ActiveRun, pass: Pass): Promise<ApplyResult> {
  const { request, deps } = run;
  return applyPlan({
    plan: pass.plan,
    snapshot: pass.snapshot,
    live: pass.live,
    clients: { ecs: deps.ecs, cloudFormation: deps.cloudFormation },
    ledger: deps.ledger,
    run: run.context,
    installationId: request.installationId,
    options: {
      ...request.applyOptions,
      ...(request.defaultStackRoleArn ? { defaultStackRoleArn: request.defaultStackRoleArn } : {}),
      dryRun: pass.dryRun,
      allowEmpty: pass.allowEmpty,
      managedCount: pass.managedCount,
    },
    guard: run.guard,
    fencedIntents: run.fencedIntents,
    ...((deps.rateShare ?? 1) > 1 ? workerApplyRates(deps.rateShare ?? 1) : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
}

/** The first pass: the plan without the resources the run holds, as the request asks (dry run, allowEmpty). With
 * references resolved: the declarations the plan diffed are the ones to apply. */
export function applyFirstPass(run: ActiveRun, plan: Plan, planned: LivePlan): Promise<ApplyResult> {
  return applyPass(run, {
    plan,
    snapshot: planned.snapshot,
    live: planned.live,
    dryRun: run.request.dryRun ?? false,
    allowEmpty: run.request.allowEmpty ?? false,
    managedCount: planned.managed?.length ?? 0,
  });
}
