/** The API-call floor, checked by counting calls (deterministic), never by timing: a sweep of N in-sync services
 * makes ceil(N/10) DescribeServices and no write; a warm process reads no task definition again. */
import { describe, expect, it } from 'vitest';
import { familiesOf, fleetDependencies, fleetFiles, MemoryGitSource, seedFleet } from '../../bench/support.ts';
import { reconcile } from '../../shared/reconcile/run.ts';
import { createAwsSimulator, writeCount } from '../../shared/sim/index.ts';
import { loadRepository } from '../../shared/spec/repository.ts';

describe.each([25, 101, 250])('a sweep of %i in-sync services', (count) => {
  it('makes ceil(N/10) DescribeServices, one DescribeTaskDefinition per family when cold, none warm, and no write', async () => {
    // Prepare
    const files = fleetFiles(count);
    const source = new MemoryGitSource(files, 0);
    const simulator = createAwsSimulator({ seed: count });
    const snapshot = await loadRepository(source, { ref: 'main' });
    seedFleet(simulator, snapshot, 'bench');
    const families = familiesOf(snapshot);
    const deps = fleetDependencies(simulator, source);
    const request = { repository: 'bench', branch: 'main', installationId: 'bench', trigger: 'schedule' } as const;

    // Act
    const cold = await reconcile(request, deps);
    const coldCalls = { ...simulator.calls };
    simulator.resetCalls();
    const warm = await reconcile(request, deps);
    const warmCalls = { ...simulator.calls };

    // Assess
    expect(cold.status).toBe('in-sync');
    expect(warm.status).toBe('in-sync');
    expect(coldCalls['ECS.DescribeServices']).toBe(Math.ceil(count / 10));
    expect(coldCalls['ECS.DescribeTaskDefinition']).toBe(families);
    expect(warmCalls['ECS.DescribeServices']).toBe(Math.ceil(count / 10));
    expect(warmCalls['ECS.DescribeTaskDefinition'] ?? 0).toBe(0);
    expect(writeCount(coldCalls) + writeCount(warmCalls)).toBe(0);
    expect(warmCalls['ECS.ListServices'] ?? 0).toBe(0);
    simulator.restore();
  });
});
