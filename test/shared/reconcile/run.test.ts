/** End to end: reconcile runs on a real git repository, the simulator and DynamoDB Local (ledger and lock). */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../../shared/reconcile/run.ts';
import { planShards } from '../../../shared/reconcile/scope.ts';
import { type AwsSimulator, writeCount as countWrites } from '../../../shared/sim/index.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import type { ChangeProposer, Proposal } from '../../../shared/writeback/proposals.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import type { TestRepo } from '../../support/git-repo.ts';
import { reconcileWorld } from '../../support/reconcile-world.ts';

function writeCount(simulator: AwsSimulator, api?: string): number {
  return countWrites(simulator.calls, api);
}

describe('reconcile', () => {
  let dynamo: DynamoDBClient;
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;

  beforeAll(() => {
    dynamo = localDynamoDb();
  });
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  async function environment(options: { lockNow?: () => number; leaseMs?: number; ledgerTable?: string } = {}) {
    const world = await reconcileWorld(dynamo, {
      ...(options.ledgerTable ? { ledgerTable: options.ledgerTable } : {}),
      lock: {
        ...(options.lockNow ? { now: options.lockNow } : {}),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      },
    });
    ({ repo, simulator } = world);
    return world;
  }

  async function bumpImage(target: TestRepo, version: string): Promise<string> {
    const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
    return target.commit({ 'services/web.yaml': web.replace('web:1.4.2', `web:${version}`) }, `web: image ${version}`);
  }

  it('applies, records an intent and an outcome per write, and converges: the next run changes nothing', async () => {
    // Prepare
    const env = await environment();

    // Act
    const first = await reconcile(env.request, env.deps);
    env.simulator.advance();
    const writesAfterFirst = writeCount(env.simulator);
    const second = await reconcile(env.request, env.deps);

    // Assess
    expect(first.status).toBe('applied');
    expect(second.status).toBe('in-sync');
    expect(second.plan?.hasChanges).toBe(false);
    expect(writeCount(env.simulator)).toBe(writesAfterFirst);
    const history = await env.ledger.commitHistory(first.commitId!);
    const intents = history.filter((entry) => entry.kind === 'intent');
    const outcomes = history.filter((entry) => entry.kind === 'outcome');
    expect(intents).toHaveLength(writesAfterFirst);
    expect(outcomes.map((entry) => entry.actionId).sort()).toEqual(intents.map((entry) => entry.actionId).sort());
    expect(history.filter((entry) => entry.kind === 'run').map((entry) => entry.result)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(intents[0]).toMatchObject({
      trigger: 'push',
      repository: 'platform-config',
      branch: 'main',
      commitAuthor: 'Test Author <author@example.com>',
    });
  });

  it('applies a change exactly once when the same run is started 10 times at once', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    const commit = await bumpImage(env.repo, '1.4.3');
    env.simulator.resetCalls();

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => reconcile({ ...env.request, eventCommitId: commit }, env.deps)),
    );

    // Assess
    expect(results.filter((result) => result.status === 'applied')).toHaveLength(1);
    expect(results.every((result) => ['applied', 'in-sync', 'skipped'].includes(result.status))).toBe(true);
    expect(writeCount(env.simulator, 'ECS.RegisterTaskDefinition')).toBe(1);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(1);
    const history = await env.ledger.commitHistory(commit);
    const registerIntents = history.filter(
      (entry) => entry.kind === 'intent' && entry.action === 'RegisterTaskDefinition',
    );
    const registerOutcomes = history.filter(
      (entry) => entry.kind === 'outcome' && entry.action === 'RegisterTaskDefinition',
    );
    expect(registerIntents).toHaveLength(1);
    expect(registerOutcomes).toHaveLength(1);
  });

  it('reconciles to the branch head, so an event for an older commit after a newer one changes nothing', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    const older = await bumpImage(env.repo, '1.4.3');
    await reconcile({ ...env.request, eventCommitId: older }, env.deps);
    const newer = await bumpImage(env.repo, '1.4.4');
    await reconcile({ ...env.request, eventCommitId: newer }, env.deps);
    env.simulator.advance();
    const writesBefore = writeCount(env.simulator);

    // Act
    const late = await reconcile({ ...env.request, eventCommitId: older }, env.deps);

    // Assess
    expect(late.commitId).toBe(newer);
    expect(late.status).toBe('in-sync');
    expect(writeCount(env.simulator)).toBe(writesBefore);
    const web = env.simulator.services().find((service) => service.serviceName === 'web');
    const running = env.simulator
      .taskDefinitions()
      .find((revision) => revision.taskDefinition.taskDefinitionArn === web?.taskDefinition);
    expect(running?.taskDefinition.containerDefinitions?.[0]?.image).toMatch(/web:1\.4\.4$/);
  });

  it('makes no AWS write when the ledger cannot be written, and fails loudly', async () => {
    // Prepare
    const env = await environment({ ledgerTable: `missing-${randomUUID().slice(0, 8)}` });

    // Act
    const failure = await reconcile(env.request, env.deps).catch((error: unknown) => error);

    // Assess: the run's first ledger call (the read of unpaired intents, one Query before planning) fails the run,
    // naming the missing table; without the ledger's story known, nothing may be applied.
    expect(failure).toMatchObject({
      name: 'LedgerTableMissingError',
      message: expect.stringMatching(/^the ledger table missing-[0-9a-f]{8} does not exist in us-east-1: /),
    });
    expect(writeCount(env.simulator)).toBe(0);
  });

  it('fails a run whose live read is throttled without writing, and the next run converges', async () => {
    // Prepare
    const env = await environment();
    env.simulator.injectFault('ECS.DescribeServices', 'throttle', 1);

    // Act
    const failure = await reconcile(env.request, env.deps).catch((error: unknown) => error);
    const retry = await reconcile(env.request, env.deps);

    // Assess
    expect(failure).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
    expect(retry.status).toBe('applied');
    env.simulator.advance();
    expect((await reconcile(env.request, env.deps)).status).toBe('in-sync');
  });

  it('stops a slow run whose lease expired, so two runs never interleave writes', async () => {
    // Prepare: a lease of 1 s on a clock the test moves.
    let clock = Date.now();
    const env = await environment({ lockNow: () => clock, leaseMs: 1_000 });
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    await bumpImage(env.repo, '1.4.3');
    env.simulator.resetCalls();
    env.simulator.injectFault('ECS.RegisterTaskDefinition', { latencyMs: 300 }, 1);

    // Act: the slow run registers; meanwhile its lease expires and a second run takes over.
    const slow = reconcile({ ...env.request, runId: 'slow-run' }, env.deps).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    clock += 5_000;
    const second = await reconcile({ ...env.request, runId: 'second-run' }, env.deps);
    const slowResult = await slow;

    // Assess
    expect(second.status).toBe('applied');
    // Stopped either by the lease check before its next write (LockLostError) or, when the takeover lands while its
    // RegisterTaskDefinition is in flight, by the fence refusing that write's outcome (LedgerFencedError).
    expect(['LockLostError', 'LedgerFencedError']).toContain((slowResult as Error).name);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(1);
    const slowWrites = (await env.ledger.window({ since: new Date(Date.now() - 60_000).toISOString() })).filter(
      (entry) => entry.runId === 'slow-run' && entry.kind === 'intent' && entry.action === 'UpdateService',
    );
    expect(slowWrites).toHaveLength(0);
  });

  it('reconciles only what a push changed, reading only the changed file from a warm cache', async () => {
    // Prepare
    const env = await environment();
    const cache = new Map<string, string>();
    const deps = { ...env.deps, blobCache: cache };
    const first = await reconcile(env.request, deps);
    env.simulator.advance();
    const pushed = await bumpImage(env.repo, '1.4.3');
    env.simulator.resetCalls();

    // Act
    const push = await reconcile({ ...env.request, eventCommitId: pushed, changedSince: first.commitId }, deps);

    // Assess
    expect(push.status).toBe('applied');
    expect(push.plan?.actions.map((action) => action.id)).toEqual(['EcsService:prod/web', 'EcsService:prod/web']);
    expect(env.simulator.calls['ECS.DescribeServices']).toBe(1);
    expect(env.simulator.calls['ECS.ListServices'] ?? 0).toBe(0);
    expect(env.simulator.calls['CloudFormation.DescribeStacks'] ?? 0).toBe(0);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(1);
  });

  it('reverts a scaled service with one UpdateService and no tag write, since its tags are already right', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    env.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    env.simulator.resetCalls();

    // Act
    const sweep = await reconcile({ ...env.request, trigger: 'schedule' }, env.deps);

    // Assess
    expect(sweep.status).toBe('applied');
    expect(writeCount(env.simulator)).toBe(1);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(1);
  });

  it('prunes a managed service whose declaration was deleted, when driftless.yaml turns pruning on', async () => {
    // Prepare
    const env = await environment();
    const settings = (await readTree(EXAMPLE_REPO_DIR))['driftless.yaml']!.toString();
    await env.repo.commit(
      {
        'driftless.yaml': settings
          .replace('prune: false', 'prune: true')
          .replace('maxPruneFraction: 0.2', 'maxPruneFraction: 0.5'),
      },
      'enable pruning',
    );
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    await env.repo.commit({ 'services/worker.yaml': null }, 'retire the worker');

    // Act
    const sweep = await reconcile({ ...env.request, trigger: 'schedule' }, env.deps);
    env.simulator.advance();

    // Assess
    expect(sweep.apply?.resources.find((resource) => resource.id === 'EcsService:prod/worker')?.outcome).toBe(
      'applied',
    );
    expect(env.simulator.services().find((service) => service.serviceName === 'worker')?.status).toBe('INACTIVE');
    expect(env.simulator.services().find((service) => service.serviceName === 'web')?.status).toBe('ACTIVE');
    const intents = (await env.ledger.resourceHistory('EcsService:prod/worker')).filter(
      (entry) => entry.kind === 'intent',
    );
    expect(intents.map((entry) => entry.action)).toEqual([
      'DeleteService',
      'UpdateService',
      'CreateService',
      'RegisterTaskDefinition',
    ]);
  });

  it("deploys a stack that names no service role with the installation's role, never with its own credentials", async () => {
    // Prepare
    const env = await environment();
    const network = (await readTree(EXAMPLE_REPO_DIR))['stacks/network.yaml']!.toString();
    await env.repo.commit({ 'stacks/network.yaml': network.replace(/\n {2}roleArn: .*\n/, '\n') }, 'no stack role');
    const installationRole = 'arn:aws:iam::123456789012:role/driftless/cloudformation';

    // Act
    await reconcile({ ...env.request, defaultStackRoleArn: installationRole }, env.deps);

    // Assess
    expect(env.simulator.stacks()[0]?.roleArn).toBe(installationRole);
  });

  it('fans a sweep out to shards that run side by side under their own leases and together apply everything once', async () => {
    // Prepare
    const env = await environment();
    const snapshot = await loadRepository(env.deps.source, { ref: 'main' });
    const shards = planShards(snapshot, 1);

    // Act
    const results = await Promise.all(shards.map((shard) => reconcile({ ...env.request, shard }, env.deps)));

    // Assess
    expect(shards.map((shard) => `${shard.group}/${shard.index}-of-${shard.count}`).sort()).toEqual([
      'prod/0-of-3',
      'prod/1-of-3',
      'prod/2-of-3',
      'stacks/0-of-1',
    ]);
    // Hashing decides which prod shard holds which service; one shard may hold several.
    expect(results.every((result) => result.status === 'applied' || result.status === 'in-sync')).toBe(true);
    expect(results.flatMap((result) => result.plan?.actions.map((action) => action.id) ?? []).sort()).toEqual([
      'CloudFormationStack:platform-network',
      'EcsService:prod/api',
      'EcsService:prod/web',
      'EcsService:prod/worker',
    ]);
    expect(writeCount(env.simulator, 'ECS.CreateService')).toBe(3);
    expect(writeCount(env.simulator, 'CloudFormation.ExecuteChangeSet')).toBe(1);
  });

  it('refuses declarations outside what the deployment allows, before any AWS call for them', async () => {
    // Prepare
    const env = await environment();

    // Act
    const result = await reconcile(
      { ...env.request, limits: { allowedClusters: ['staging'], stackNamePrefix: 'platform-' } },
      env.deps,
    );

    // Assess
    expect(result.diagnostics.filter((d) => d.code === 'E_TARGET').map((d) => d.file)).toEqual([
      'services/api.yaml',
      'services/web.yaml',
      'services/worker.yaml',
    ]);
    expect(env.simulator.services()).toEqual([]);
    expect(env.simulator.stacks().map((stack) => stack.stackName)).toEqual(['platform-network']);
    expect(env.simulator.calls['ECS.DescribeServices'] ?? 0).toBe(0);
  });

  it('records drift found by a sweep and leaves it in place when the deployment turns self-heal off', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    env.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    const writesBefore = writeCount(env.simulator);

    // Act
    const sweep = await reconcile({ ...env.request, trigger: 'schedule', limits: { selfHeal: false } }, env.deps);
    const writesAfterSweep = writeCount(env.simulator);
    const healing = await reconcile({ ...env.request, trigger: 'schedule' }, env.deps);

    // Assess
    expect(sweep.driftHeld).toEqual(['EcsService:prod/web']);
    expect(writesAfterSweep).toBe(writesBefore);
    expect(healing.status).toBe('applied');
    expect(env.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(3);
    const held = (await env.ledger.resourceHistory('EcsService:prod/web')).find((entry) => entry.result === 'skipped');
    expect(held).toMatchObject({
      trigger: 'schedule',
      reason:
        'drift detected; drift policy alert (the deployment turns self-heal off), so it is recorded and announced, not reverted',
      changes: [{ path: '/spec/desiredCount', before: 1, after: 3 }],
    });
  });

  it('resolves the drift policy: declaration, then Settings, then self-heal; the deployment limit turns only revert into alert', async () => {
    // Prepare: Settings say alert; worker says revert; web says nothing; the network stack says adopt.
    const env = await environment();
    const tree = await readTree(EXAMPLE_REPO_DIR);
    const proposals: Proposal[] = [];
    const proposer: ChangeProposer = {
      async propose(proposal) {
        if (proposals.some((made) => made.branch === proposal.branch))
          return { status: 'exists', branch: proposal.branch };
        proposals.push(proposal);
        return { status: 'opened', branch: proposal.branch, commitId: 'f'.repeat(40) };
      },
    };
    await env.repo.commit(
      {
        'driftless.yaml': tree['driftless.yaml']!.toString().replace(
          '    selfHeal: true\n',
          '    selfHeal: true\n    drift: alert\n',
        ),
        'services/worker.yaml': tree['services/worker.yaml']!.toString().replace(
          '  wave: 1\n',
          '  wave: 1\n  drift: revert\n',
        ),
        'stacks/network.yaml': tree['stacks/network.yaml']!.toString().concat('  drift: adopt\n'),
      },
      'drift policies',
    );
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    const drift = () => {
      env.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 1;
      });
      env.simulator.driftService('prod', 'worker', (service) => {
        service.deploymentConfiguration = { ...service.deploymentConfiguration, maximumPercent: 150 };
      });
    };
    drift();
    const sweep = { ...env.request, trigger: 'schedule' as const };

    // Act
    const first = await reconcile(sweep, { ...env.deps, proposer });
    env.simulator.advance();
    drift();
    const limited = await reconcile({ ...sweep, limits: { selfHeal: false } }, { ...env.deps, proposer });

    // Assess
    expect(first.driftPolicies).toEqual({ 'EcsService:prod/web': 'alert', 'EcsService:prod/worker': 'revert' });
    expect(first.driftHeld).toEqual(['EcsService:prod/web']);
    expect(first.apply?.resources.find((resource) => resource.id === 'EcsService:prod/worker')?.outcome).toBe(
      'applied',
    );
    expect(limited.driftPolicies).toEqual({ 'EcsService:prod/web': 'alert', 'EcsService:prod/worker': 'alert' });
    expect(limited.driftHeld).toEqual(['EcsService:prod/web', 'EcsService:prod/worker']);
    expect(proposals).toEqual([]);
  });

  it('adopt proposes the same drift once: a second sweep finds the branch and says so', async () => {
    // Prepare
    const env = await environment();
    const tree = await readTree(EXAMPLE_REPO_DIR);
    const branches: string[] = [];
    const proposer: ChangeProposer = {
      async propose(proposal) {
        if (branches.includes(proposal.branch)) return { status: 'exists', branch: proposal.branch };
        branches.push(proposal.branch);
        return { status: 'opened', branch: proposal.branch, commitId: 'f'.repeat(40), pullRequestId: '5' };
      },
    };
    await env.repo.commit(
      {
        'services/web.yaml': tree['services/web.yaml']!.toString().replace(
          '  wave: 1\n',
          '  wave: 1\n  drift: adopt\n',
        ),
      },
      'web: adopt',
    );
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    env.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 5;
    });
    const sweep = { ...env.request, trigger: 'schedule' as const };

    // Act
    const first = await reconcile(sweep, { ...env.deps, proposer });
    const second = await reconcile(sweep, { ...env.deps, proposer });

    // Assess
    expect(branches).toHaveLength(1);
    expect(first.driftAdopted).toEqual([
      { resourceId: 'EcsService:prod/web', branch: branches[0], pullRequestId: '5', status: 'opened' },
    ]);
    expect(second.driftAdopted).toEqual([{ resourceId: 'EcsService:prod/web', branch: branches[0], status: 'exists' }]);
    const reasons = (await env.ledger.resourceHistory('EcsService:prod/web'))
      .filter((entry) => entry.result === 'skipped')
      .map((entry) => entry.reason);
    expect(reasons).toEqual([
      `drift adopted: already proposed on ${branches[0]}`,
      `drift adopted: pull request 5 opened on ${branches[0]}`,
    ]);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(0);
  });

  const FAULTY_APIS = [
    'ECS.RegisterTaskDefinition',
    'ECS.CreateService',
    'ECS.UpdateService',
    'ECS.TagResource',
    'CloudFormation.CreateChangeSet',
    'CloudFormation.DescribeChangeSet',
    'CloudFormation.ExecuteChangeSet',
  ] as const;
  const FAULTS = ['throttle', 'server-error'] as const;

  it.each(FAULTY_APIS.flatMap((api) => FAULTS.map((fault) => ({ api, fault }))))(
    'converges through $fault on $api: retried, applied once, then in sync',
    async ({ api, fault }) => {
      // Prepare: creates exercise CreateService and the change-set calls; an image bump exercises the updates.
      const env = await environment();
      const creating = !['ECS.UpdateService', 'ECS.TagResource'].includes(api);
      if (!creating) {
        await reconcile(env.request, env.deps);
        env.simulator.advance();
        await bumpImage(env.repo, '1.4.3');
      }
      env.simulator.injectFault(api, fault, 2);

      // Act
      const result = await reconcile(env.request, env.deps);
      env.simulator.advance();
      const next = await reconcile(env.request, env.deps);

      // Assess
      expect(result.status).toBe('applied');
      expect(next.status).toBe('in-sync');
      expect(env.simulator.calls[api]).toBeGreaterThanOrEqual(3);
      const intents = (await env.ledger.commitHistory(result.commitId!)).filter((entry) => entry.kind === 'intent');
      const actionIds = intents.map((entry) => entry.actionId);
      expect(new Set(actionIds).size).toBe(actionIds.length);
    },
  );

  it('applies nothing from a broken file and prunes nothing, and says which file and line', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    await env.repo.commit(
      { 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: web }\n' },
      'break',
    );
    const writesBefore = writeCount(env.simulator);

    // Act
    const broken = await reconcile(env.request, env.deps);

    // Assess
    expect(broken.status).toBe('failed');
    expect(broken.diagnostics).toEqual(
      expect.arrayContaining([expect.objectContaining({ file: 'services/web.yaml', line: 3, code: 'E_SCHEMA' })]),
    );
    expect(writeCount(env.simulator)).toBe(writesBefore);
    expect(env.simulator.services().find((service) => service.serviceName === 'web')?.status).toBe('ACTIVE');
  });
});
