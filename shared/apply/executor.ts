/**
 * Applies a plan to ECS and CloudFormation: wave by wave (ascending), the resources of a wave in parallel (bounded),
 * each resource's actions in plan order, prunes last. A resource that fails is recorded and the others carry on.
 * Each write goes through the journal (journal.ts), which records it in the audit ledger, retries it and stops the
 * run when the ledger or the guard fails.
 */
import { errorName, isRetryableAwsError } from '../aws/errors.ts';
import { DriftlessError, TerminalError } from '../errors.ts';
import type { Action } from '../plan/plan.ts';
import type { Declaration } from '../spec/repository.ts';
import type { ResourceKind } from '../spec/schema.ts';
import {
  APPLY_DEFAULTS,
  type ApplyInput,
  type ApplyResult,
  RESOURCE_OUTCOMES,
  type ResourceError,
  type ResourceOutcome,
  type ResourceResult,
} from './contract.ts';
import { EcsWriter } from './ecs-writer.ts';
import { circuitBreakerReason, declaredReason, pruneGuardReason, replaceReason } from './guards.ts';
import { HeldBack, Journal, messageOf, Stop } from './journal.ts';
import { Pruner } from './prune.ts';
import type { Decision, ResourceGroup, ResourceState } from './resource.ts';
import { StackWriter } from './stack-writer.ts';

export type {
  ApplyInput,
  ApplyOptions,
  ApplyResult,
  ResourceError,
  ResourceOutcome,
  ResourceResult,
  WriteRates,
} from './contract.ts';
export { APPLY_DEFAULTS, APPLY_WRITE_RATES, RESOURCE_OUTCOMES } from './contract.ts';

/** Applies `plan`. Resolves with what happened to each resource; rejects only when the run had to stop (the ledger
 * failed, or the guard threw), with that error, after recording the outcomes of the writes in flight. */
export function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  return new Applier(input).run();
}

class Applier {
  private readonly journal: Journal;
  private readonly concurrency: number;
  private readonly declarations: ReadonlyMap<string, Declaration>;
  private readonly services: EcsWriter;
  private readonly stacks: StackWriter;
  private readonly pruner: Pruner;
  private pruneRefusal: string | undefined;

  constructor(private readonly input: ApplyInput) {
    this.journal = new Journal(input);
    this.concurrency = Math.max(1, input.options?.concurrency ?? APPLY_DEFAULTS.concurrency);
    this.declarations = new Map(input.snapshot.declarations.map((declaration) => [declaration.id, declaration]));
    this.services = new EcsWriter(input, this.journal);
    this.stacks = new StackWriter(input, this.journal);
    this.pruner = new Pruner(input, this.journal);
  }

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
    this.pruneRefusal = pruneGuardReason(snapshot, this.input.options, prunes.length);

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
        if (this.journal.stopped) throw this.journal.stopError;
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
    return { commitId: plan.commitId, dryRun: this.journal.dryRun, resources, counts };
  }

  /** Runs `work` for each item, at most `concurrency` at once; starts nothing new once the run has stopped. */
  private async pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (!this.journal.stopped && next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }

  /** Never throws: a resource's failure is its result. A stop is noticed by the run through the journal. */
  private async applyResource(group: ResourceGroup): Promise<ResourceResult> {
    const origin = group.actions.find((action) => action.origin !== undefined)?.origin;
    const state: ResourceState = {
      id: group.id,
      kind: group.kind,
      references: {},
      dryRunWrites: 0,
      ...(origin ? { origin } : {}),
    };
    const withReferences = () => (Object.keys(state.references).length > 0 ? { references: state.references } : {});
    try {
      const decision = await this.decide(group, state);
      await this.journal.flush(state);
      return {
        id: group.id,
        kind: group.kind,
        outcome: decision.outcome,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        ...withReferences(),
      };
    } catch (thrown) {
      // A write that succeeded before the resource failed still gets its outcome (a stopped run's too, if it can).
      await this.journal.flush(state).catch(() => undefined);
      const error = thrown instanceof Stop ? thrown.error : thrown;
      return { id: group.id, kind: group.kind, outcome: 'failed', error: describeError(error), ...withReferences() };
    }
  }

  private async decide(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const find = (type: Action['type']) => group.actions.find((action) => action.type === type);
    const prune = find('prune');
    if (prune) {
      if (this.pruneRefusal !== undefined) return this.journal.refuse(group.id, prune, 'Prune', this.pruneRefusal);
      if (this.declarations.has(group.id)) {
        return this.journal.refuse(group.id, prune, 'Prune', declaredReason(group.id));
      }
      return this.pruner.prune(group, state);
    }
    const replace = find('replace-required');
    if (replace) {
      const reason = replaceReason(group.kind, group.id, replace, this.input.options?.allowReplace ?? false);
      return this.journal.refuse(group.id, replace, undefined, reason);
    }
    const wait = find('wait');
    if (wait) return { outcome: 'waiting', ...(wait.reason === undefined ? {} : { reason: wait.reason }) };
    if (!find('create') && !find('update') && !find('register-task-definition')) {
      const declaration = this.declarations.get(group.id);
      // In sync, but made outside driftless (by hand, then imported): it is claimed with its tags alone.
      if (declaration?.kind === 'EcsService' && this.services.isUnclaimed(declaration)) {
        return this.services.claimService(declaration, group, state);
      }
      return { outcome: 'in-sync' };
    }

    const declaration = this.declarations.get(group.id);
    if (!declaration) throw new TerminalError(`${group.id} is in the plan but not declared in the snapshot`);
    // The history is read while the writer makes its reads (an equal revision, say): each write waits for it.
    const rolledBack = this.rolledBackReason(group.id);
    rolledBack.catch(() => undefined);
    state.heldBack = rolledBack;
    try {
      const decision = await (declaration.kind === 'EcsService'
        ? this.services.applyService(declaration, group, state)
        : this.stacks.applyStack(declaration, group, state));
      // Held back with nothing to write is skipped all the same.
      const reason = await rolledBack;
      return reason === undefined ? decision : this.journal.skip(group.id, reason);
    } catch (error) {
      if (error instanceof HeldBack) return this.journal.skip(group.id, error.reason);
      throw error;
    }
  }

  /** Why the deployment circuit breaker holds this resource back at this commit, from its recent ledger history. */
  private async rolledBackReason(resourceId: string): Promise<string | undefined> {
    const history = await this.input.ledger.resourceHistory(resourceId, { limit: 20 });
    return circuitBreakerReason(this.input.plan.commitId, history);
  }
}

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

function describeError(error: unknown): ResourceError {
  return {
    name: errorName(error) ?? 'Error',
    message: messageOf(error),
    retryable: error instanceof DriftlessError ? error.retryable : isRetryableAwsError(error),
  };
}
