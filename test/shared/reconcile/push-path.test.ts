/** What a push does before its UpdateService, in order (the push latency figure of bench/run.ts): the lease, then the
 * pauses, the unpaired intents and the applied commit read beside the Git head (read once), the service's history,
 * each write's fenced intent before the write (no separate lease check) and the previous write's outcome only after
 * the next write's intent. */
import { describe, expect, it } from 'vitest';
import { latentDynamoDb } from '../../../bench/dynamodb-latency.ts';
import { fleetDependencies, fleetFiles, MemoryGitSource, seedFleet, serviceYaml } from '../../../bench/support.ts';
import { reconcile } from '../../../shared/reconcile/run.ts';
import { createAwsSimulator } from '../../../shared/sim/index.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';

describe('a push changing one service image', () => {
  it('stores the UpdateService intent before the write, with 7 DynamoDB calls before it and none a lease read', async () => {
    // Prepare
    const files = fleetFiles(20);
    const source = new MemoryGitSource(files, 0);
    const simulator = createAwsSimulator({ seed: 18 });
    seedFleet(simulator, await loadRepository(new MemoryGitSource(files, 0), { ref: 'main' }), 'test');
    const dynamo = latentDynamoDb(0);
    const deps = {
      ...fleetDependencies(simulator, source),
      ledger: dynamo.ledger,
      lock: dynamo.lock,
      appliedCommits: dynamo.appliedCommits,
    };
    const request = { repository: 'r', branch: 'main', installationId: 'test' } as const;
    await reconcile({ ...request, trigger: 'schedule' }, deps);
    const before = source.head();
    const changed = new Map(before.files);
    changed.set('services/svc-7.yaml', serviceYaml(7, 'family-1', '1.0.1'));
    const commit = source.commit(changed);
    // Each DynamoDB call, with the ECS writes made by the time it was sent.
    const seen: string[] = [];
    const call = dynamo.calls.call.bind(dynamo.calls);
    dynamo.calls.call = (name, run) => {
      const writes = ['RegisterTaskDefinition', 'UpdateService'].filter((api) => simulator.calls[`ECS.${api}`]);
      seen.push(`${name} after [${writes.join(', ')}]`);
      return call(name, run);
    };
    let resolves = 0;
    const resolveRef = source.resolveRef.bind(source);
    source.resolveRef = (ref) => {
      if (!simulator.calls['ECS.UpdateService']) resolves += 1;
      return resolveRef(ref);
    };
    simulator.resetCalls();

    // Act
    const result = await reconcile(
      { ...request, trigger: 'push', eventCommitId: commit, changedSince: before.id },
      deps,
    );

    // Assess
    expect(result.status).toBe('applied');
    expect(simulator.calls['ECS.UpdateService']).toBe(1);
    const beforeUpdate = seen.filter((entry) => !entry.includes('UpdateService]'));
    expect(beforeUpdate.slice(0, 1)).toEqual(['UpdateItem lock after []']);
    // Read together beside the head, in whatever order they are sent.
    expect(beforeUpdate.slice(1, 4).sort()).toEqual([
      'GetItem applied after []',
      'Query intents after []',
      'Query pauses after []',
    ]);
    expect(beforeUpdate.slice(4)).toEqual([
      'Query resource after []',
      'TransactWriteItems intent RegisterTaskDefinition after []',
      'TransactWriteItems intent UpdateService after [RegisterTaskDefinition]',
    ]);
    expect(seen.filter((entry) => entry.startsWith('TransactWriteItems outcome RegisterTaskDefinition'))).toEqual([
      'TransactWriteItems outcome RegisterTaskDefinition after [RegisterTaskDefinition, UpdateService]',
    ]);
    expect(beforeUpdate.some((entry) => entry.startsWith('GetItem lock'))).toBe(false);
    // Every intent of the run has its outcome.
    const entries = dynamo.ledger.inner.entries.filter((entry) => entry.runId === result.runId);
    const intents = entries.filter((entry) => entry.kind === 'intent').map((entry) => entry.actionId);
    const outcomes = entries.filter((entry) => entry.kind === 'outcome').map((entry) => entry.actionId);
    expect(outcomes.sort()).toEqual(intents.sort());
    expect(intents.length).toBeGreaterThanOrEqual(2);
    // The head is resolved once before the write: loading the repository at it does not resolve it again.
    expect(resolves).toBe(1);
    simulator.restore();
  });
});
