/**
 * Sweep: a schedule reconciles the whole branch head against live state, so drift (a change made by hand in the
 * console or the CLI) is found and, unless self-heal is off, reverted.
 *
 * - Reconciles everything (trigger `schedule`): the only run that lists managed resources and so may prune.
 * - Self-heal off (DRIFTLESS_SELF_HEAL=false, or selfHeal: false in driftless.yaml): drift is recorded in the ledger
 *   and announced, never reverted.
 * - Announces on the event bus: Drift Detected (the plan updated resources in place), Drift Reverted (the sweep put
 *   them back), Reconcile Succeeded / Reconcile Failed, Prune Refused.
 *
 * Errors: terminal ones (configuration, validation, a missing branch, access denied) are logged, announced and
 * returned, never rethrown: a retry meets them again, and the next scheduled sweep runs anyway. Retryable ones
 * (throttled or failed live reads, a lost lock, an unwritable ledger) and unexpected ones are rethrown for
 * EventBridge's retry policy and dead-letter queue. A ConfigurationError while building the dependencies is rethrown
 * on every invocation (see dependencies.ts).
 */
import { type FunctionDependencies, lazyHandler } from './dependencies.ts';
import { eventLabel, type ScheduledEvent } from './events.ts';
import { type RunSummary, runAndAnnounce } from './run.ts';

export type SweepResult = RunSummary;

export function createSweepHandler(deps: FunctionDependencies): (event: ScheduledEvent) => Promise<SweepResult> {
  return async (event) => runAndAnnounce(deps, { trigger: 'schedule' }, { ...eventLabel(event), trigger: 'schedule' });
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createSweepHandler);
