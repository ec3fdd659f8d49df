/** What the demo does, attributed to who would do it in AWS: each reconcile run to the function its trigger starts
 * (`driftless reconcile`, trigger manual, does what the push function does), the deployment-outcome handler to its
 * function, and the CLI's pause, resume and status to a break-glass user. The demo's own narration (its `driftless
 * plan` and `audit` printouts, `reconcile --wait` following a rollout, its tables) is nobody's and is not evaluated. */
import type { createDeploymentOutcomeHandler } from '../../../functions/deployment-outcome.ts';
import type { reconcile } from '../../../shared/reconcile/run.ts';
import { BREAK_GLASS } from './deployment.ts';
import { recorder } from './recorder.ts';

/** The function each trigger starts. */
const FUNCTION_OF_TRIGGER: Readonly<Record<string, string>> = {
  push: 'push',
  schedule: 'sweep',
  'manual-change': 'manual-change',
  manual: 'push',
};

/** `reconcile` that runs as the function of its trigger (unless the caller already runs as a function). */
export function attributedReconcile(original: typeof reconcile): typeof reconcile {
  return (request, deps) => {
    const principal = FUNCTION_OF_TRIGGER[request.trigger];
    return principal === undefined
      ? original(request, deps)
      : recorder.asUnlessAttributed(principal, () => original(request, deps));
  };
}

/** The deployment-outcome handler factory whose handler runs as the deployment-outcome function. */
export function attributedDeploymentOutcome(
  original: typeof createDeploymentOutcomeHandler,
): typeof createDeploymentOutcomeHandler {
  return (deps) => {
    const handler = original(deps);
    return (event) => recorder.asUnlessAttributed('deployment-outcome', () => handler(event));
  };
}

/** The CLI as a break-glass user runs it; `driftless reconcile` is left to attributedReconcile (a function's run). */
export function asBreakGlass<A extends [readonly string[], ...unknown[]], R>(
  run: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args) => (args[0][0] === 'reconcile' ? run(...args) : recorder.as(BREAK_GLASS, () => run(...args)));
}
