/** Properties of the canonical diff: nothing differs from itself, the diff is symmetric, and normalizing is
 * idempotent, so a canonical form read back never shows drift of its own making. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diff } from '../../../shared/plan/diff.ts';
import {
  type JsonObject,
  normalizeDeclaredService,
  normalizeDeclaredStack,
  normalizeTaskDefinition,
} from '../../../shared/plan/normalize.ts';
import { cloudFormationStack, ecsService, taskDefinition } from '../../support/arbitraries.ts';

const NUM_RUNS = 200;
const json = fc.jsonValue() as fc.Arbitrary<JsonObject>;

describe('diff', () => {
  it('finds nothing between a document and itself', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(diff(value, structuredClone(value))).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reports the same paths both ways, with before and after swapped', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const forward = diff(a, b);
        const backward = diff(b, a);
        expect(backward.map((change) => change.path)).toEqual(forward.map((change) => change.path));
        expect(backward.map((change) => ({ path: change.path, before: change.after, after: change.before }))).toEqual(
          forward.map((change) => ({ path: change.path, before: change.before, after: change.after })),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('normalize', () => {
  it('is idempotent on task definitions', () => {
    fc.assert(
      fc.property(taskDefinition, (input) => {
        const once = normalizeTaskDefinition(input as unknown as Record<string, unknown>);
        expect(normalizeTaskDefinition(once)).toEqual(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent on services', () => {
    fc.assert(
      fc.property(ecsService, (document) => {
        const once = normalizeDeclaredService(document.spec as unknown as Record<string, unknown>);
        const spec = once.spec as Record<string, unknown>;
        const autoscaling = document.spec.autoscaling === undefined ? {} : { autoscaling: document.spec.autoscaling };
        expect(normalizeDeclaredService({ ...spec, ...autoscaling })).toEqual(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent on stacks', () => {
    fc.assert(
      fc.property(cloudFormationStack, (document) => {
        const template = { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } };
        const once = normalizeDeclaredStack({ spec: document.spec as unknown as Record<string, unknown>, template });
        const again = normalizeDeclaredStack({ spec: once.spec as Record<string, unknown>, template });
        expect(again).toEqual(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
