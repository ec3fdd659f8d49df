/** The in-flight window recovery waits out (shared/audit/intents.ts) bounds every function the stack deploys. */
import { describe, expect, it } from 'vitest';
import { FUNCTION_PLANS } from '../../infra/function-plans.ts';
import { IN_FLIGHT_MS } from '../../shared/audit/intents.ts';

describe('the in-flight window', () => {
  it.each(Object.entries(FUNCTION_PLANS))('outlasts the %s function: its writes end with it', (_name, plan) => {
    // Assess
    expect(plan.timeout.toMilliseconds()).toBeLessThanOrEqual(IN_FLIGHT_MS);
  });

  it("is Lambda's 15-minute ceiling, so no function could be given longer", () => {
    // Assess
    expect(IN_FLIGHT_MS).toBe(15 * 60_000);
  });
});
