/** Planning as the reads arrive (planAgainstLive) gives the plan a plan made after every read, with or without the
 * persistent task definition cache: the example repository on the simulator, with drift, a missing service and
 * services in sync. */
import { DeleteServiceCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { type LiveReaders, readLiveState } from '../../../shared/live/read.ts';
import { MemoryTaskDefinitionStore } from '../../../shared/live/task-definition-store.ts';
import { planWithReferences } from '../../../shared/plan/references.ts';
import { planAgainstLive, readReferencedStacks } from '../../../shared/reconcile/plan-run.ts';
import { reconcile } from '../../../shared/reconcile/run.ts';
import type { AwsSimulator } from '../../../shared/sim/index.ts';
import { loadRepository, type RepositorySnapshot } from '../../../shared/spec/repository.ts';
import { reconcileWorlds } from '../../support/reconcile-world.ts';

function readers(simulator: AwsSimulator, store?: MemoryTaskDefinitionStore): LiveReaders {
  return {
    ecs: new EcsLiveReader({ client: simulator.ecs, ...(store ? { store } : {}) }),
    cloudFormation: new CloudFormationLiveReader({ client: simulator.cloudFormation }),
  };
}

/** The plan made the plain way: every read first, then buildPlan over all of them. */
async function planAfterReads(snapshot: RepositorySnapshot, live: LiveReaders) {
  const read = await readLiveState(snapshot, live);
  const stacks = await readReferencedStacks(snapshot, read.live, live);
  return planWithReferences({ snapshot, live: read.live, stacks }).plan;
}

describe('planAgainstLive', () => {
  const world = reconcileWorlds();

  it('plans each service as it is read, and the plan is the one made after all the reads, cache or no cache', async () => {
    // Prepare: everything applied, then web scaled by hand and worker deleted.
    const env = await world();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    env.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    await env.deps.ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'worker', force: true }));
    env.simulator.advance();
    const snapshot = await loadRepository(env.deps.source, { ref: 'main' });
    const store = new MemoryTaskDefinitionStore();
    await readLiveState(snapshot, readers(env.simulator, store));

    // Act
    const asRead = await planAgainstLive(snapshot, readers(env.simulator));
    const fromStore = await planAgainstLive(snapshot, readers(env.simulator, store));
    const afterReads = await planAfterReads(snapshot, readers(env.simulator));

    // Assess
    expect(afterReads.hasChanges).toBe(true);
    expect(afterReads.actions.map((action) => `${action.type} ${action.id}`)).toEqual(
      expect.arrayContaining(['update EcsService:prod/web', 'create EcsService:prod/worker']),
    );
    expect(asRead.plan).toEqual(afterReads);
    expect(fromStore.plan).toEqual(afterReads);
  });
});
