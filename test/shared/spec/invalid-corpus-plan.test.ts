/** The new cases of the bad-input corpus (limit-, parse-, target-, secret-, number-, hostile-), taken through the real planning path (loadConfined, then
 * planAgainstLive on the AWS simulator under the real SDK clients): no call names a declaration the load refused,
 * no action is planned for one, and a repository whose only valid file is driftless.yaml makes no call at all. */
import { describe, expect, it } from 'vitest';
import { liveReadersOf, loadConfined, planAgainstLive, pruneCandidates } from '../../../shared/reconcile/plan-run.ts';
import { createAwsSimulator } from '../../../shared/sim/index.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { corpusCases } from '../../support/corpus.ts';
import { makeRepo } from '../../support/git-repo.ts';

const cases = corpusCases((name) => /^(limit|parse|target|secret|number|hostile)-/.test(name));

/** The resource names an ECS or CloudFormation request addresses: services (by name or ARN), task definition
 * families, stacks. */
function namesIn(input: Record<string, unknown>): string[] {
  const lastSegment = (value: unknown) => String(value).split('/').at(-1)!.split(':')[0]!;
  const names: string[] = [];
  if (Array.isArray(input.services)) names.push(...input.services.map(lastSegment));
  for (const field of ['service', 'family', 'familyPrefix', 'taskDefinition', 'StackName']) {
    if (input[field] !== undefined) names.push(lastSegment(input[field]));
  }
  return names;
}

describe('refused declarations never reach AWS', () => {
  it('takes at least 60 cases through the planning path', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.concurrent.for(cases)('$name', async ({ expected, files }, { expect }) => {
    // Prepare
    const repo = await makeRepo(files);
    const simulator = createAwsSimulator();
    try {
      // Act
      const snapshot = await loadConfined(new LocalGitSource({ repoDir: repo.dir }), {
        ref: 'main',
        ...(expected.limits ? { limits: expected.limits } : {}),
      });
      const planned = await planAgainstLive(
        snapshot,
        liveReadersOf(simulator),
        pruneCandidates(snapshot, 'corpus-installation'),
      );

      // Assess
      expect(snapshot.pruneBlocked).toBe(true);
      const declared = snapshot.declarations.map((declaration) => declaration.id);
      expect(declared).toEqual([...expected.declarations].sort());
      const declaredNames = new Set(snapshot.declarations.map((declaration) => declaration.document.metadata.name));
      const inputs = [...simulator.stubs.ecs.calls(), ...simulator.stubs.cloudFormation.calls()].map(
        (call) => call.args[0].input as object as Record<string, unknown>,
      );
      // Every valid declaration was read, and nothing else was addressed.
      expect(new Set(inputs.flatMap(namesIn))).toEqual(declaredNames);
      expect(planned.plan.actions.filter((action) => !declared.includes(action.id))).toEqual([]);
      expect(planned.plan.actions.filter((action) => action.type === 'prune')).toEqual([]);
      const callCount = Object.values(simulator.calls).reduce((sum, count) => sum + count, 0);
      // The valid declarations beside the refused one were read: the path ran, and its silence is the refusal's.
      expect(callCount > 0).toBe(declared.length > 0);
      if (declared.length === 0) expect(simulator.calls).toEqual({});
    } finally {
      simulator.restore();
      await repo.cleanup();
    }
  });
});
