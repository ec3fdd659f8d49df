/** The deployment-outcome function: ECS and CloudFormation events traced to the ledger, rolled-back commits skipped
 * by the next run until a new commit arrives. */
import { afterEach, describe, expect, it } from 'vitest';
import { createDeploymentOutcomeHandler, type DeploymentOutcomeEvent } from '../../functions/deployment-outcome.ts';
import type { RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, writeCount } from './support.ts';

const WEB = 'EcsService:prod/web';

describe('deployment-outcome function', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  function pushEvent(commitId: string, oldCommitId: string): RepositoryStateChangeEvent {
    return eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', { commitId, oldCommitId });
  }

  /** The deployment id the push's UpdateService started, as the ledger recorded it. */
  async function deploymentOf(target: Harness, commitId: string): Promise<string> {
    const history = await target.ledger.resourceHistory(WEB);
    const update = history.find(
      (entry) => entry.commitId === commitId && entry.kind === 'outcome' && entry.action === 'UpdateService',
    );
    expect(update?.references?.deploymentId).toMatch(/^ecs-svc\//);
    return update!.references!.deploymentId!;
  }

  it('records a circuit-breaker rollback; the same commit is then skipped for the service, and a new commit applies', async () => {
    // Prepare: web runs 1.4.2; a push rolls out 1.4.3, whose deployment the circuit breaker rolls back.
    harness = await createHarness();
    const base = await harness.bootstrap();
    const previous = harness.simulator.services().find((service) => service.serviceName === 'web')?.taskDefinition;
    const bad = await harness.bumpImage('1.4.3');
    const push = createPushHandler(harness.deps);
    await push(pushEvent(bad, base));
    const deploymentId = await deploymentOf(harness, bad);
    harness.simulator.driftService('prod', 'web', (service) => {
      service.taskDefinition = previous;
    });
    harness.eventBridge.resetHistory();
    const handler = createDeploymentOutcomeHandler(harness.deps);

    // Act
    const outcome = await handler(eventFixture<DeploymentOutcomeEvent>('ecs-deployment-failed', { deploymentId }));
    harness.simulator.resetCalls();
    const again = await push(pushEvent(bad, base));
    const skippedWrites = writeCount(harness.simulator);
    const fixed = await harness.bumpImage('1.4.4');
    const next = await push(pushEvent(fixed, bad));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', resourceId: WEB, commitId: bad, result: 'rolled-back' });
    const recorded = (await harness.ledger.resourceHistory(WEB)).find((entry) => entry.trigger === 'deployment-event');
    expect(recorded).toMatchObject({
      kind: 'outcome',
      result: 'rolled-back',
      commitId: bad,
      references: expect.objectContaining({ deploymentId }),
    });
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({ result: 'rolled-back', commitId: bad, resourceIds: [WEB], deploymentId }),
    ]);
    // Not "in-sync": the run says the change is held, and why, in its result, its run entry and its event.
    const rolledBack = `commit ${bad.slice(0, 12)} was rolled back by the deployment circuit breaker; a new commit clears this`;
    expect(again).toMatchObject({
      outcome: 'reconciled',
      status: 'held',
      counts: { skipped: 1 },
      held: [{ resourceId: WEB, reason: rolledBack }],
      reason: `1 held: ${WEB} — ${rolledBack}`,
      announced: ['Reconcile Held'],
    });
    expect(harness.details('Reconcile Held')).toEqual([
      expect.objectContaining({ status: 'held', resourceIds: [WEB], held: [{ resourceId: WEB, reason: rolledBack }] }),
    ]);
    const againRun = (await harness.ledger.commitHistory(bad)).find(
      (entry) => entry.kind === 'run' && entry.runId === (again.outcome === 'reconciled' ? again.runId : ''),
    );
    expect(againRun).toMatchObject({ result: 'skipped', reason: `1 held: ${WEB} — ${rolledBack}` });
    expect(skippedWrites).toBe(0);
    expect(next).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: fixed });
    const web = harness.simulator.services().find((service) => service.serviceName === 'web');
    const running = harness.simulator
      .taskDefinitions()
      .find((revision) => revision.taskDefinition.taskDefinitionArn === web?.taskDefinition);
    expect(running?.taskDefinition.containerDefinitions?.[0]?.image).toMatch(/web:1\.4\.4$/);
  });

  it('records a completed deployment once: a repeated event records nothing more', async () => {
    // Prepare
    harness = await createHarness();
    const base = await harness.bootstrap();
    const pushed = await harness.bumpImage('1.4.3');
    await createPushHandler(harness.deps)(pushEvent(pushed, base));
    const deploymentId = await deploymentOf(harness, pushed);
    harness.eventBridge.resetHistory();
    const handler = createDeploymentOutcomeHandler(harness.deps);
    const event = eventFixture<DeploymentOutcomeEvent>('ecs-deployment-completed', { deploymentId });

    // Act
    const first = await handler(event);
    const repeated = await handler(event);

    // Assess
    expect(first).toMatchObject({ outcome: 'recorded', result: 'succeeded', commitId: pushed });
    expect(repeated.outcome).toBe('ignored');
    const recorded = (await harness.ledger.resourceHistory(WEB)).filter(
      (entry) => entry.trigger === 'deployment-event',
    );
    expect(recorded).toHaveLength(1);
    expect(harness.announced()).toEqual([]);
  });

  it('ignores a deployment driftless did not start, with a log line and no ledger entry', async () => {
    // Prepare
    harness = await createHarness();
    await harness.bootstrap();
    const before = await harness.ledger.resourceHistory(WEB);

    // Act
    const result = await createDeploymentOutcomeHandler(harness.deps)(
      eventFixture<DeploymentOutcomeEvent>('ecs-deployment-failed', { deploymentId: 'ecs-svc/9999999999999999999' }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('not started by driftless') });
    expect(await harness.ledger.resourceHistory(WEB)).toHaveLength(before.length);
    expect(harness.logger.lines).toEqual([expect.objectContaining({ message: 'deployment event ignored' })]);
    expect(harness.simulator.calls).toEqual({});
    expect(harness.announced()).toEqual([]);
  });

  it('takes the result from the service deployment the ledger references: an alarm rollback, with its alarm', async () => {
    // Prepare: a push releases a new api image by canary; its 5xx alarm fires during the bake time.
    const API = 'EcsService:prod/api';
    harness = await createHarness();
    const base = await harness.bootstrap();
    const api = String((await readTree(EXAMPLE_REPO_DIR))['services/api.yaml']);
    const released = await harness.repo.commit(
      { 'services/api.yaml': api.replace('api:2.7.0', 'api:2.8.0') },
      'api: 2.8.0',
    );
    harness.simulator.alarmNextRollout('prod', 'api');
    await createPushHandler(harness.deps)(pushEvent(released, base));
    const update = (await harness.ledger.resourceHistory(API)).find(
      (entry) => entry.commitId === released && entry.action === 'UpdateService' && entry.kind === 'outcome',
    );
    const deploymentId = update?.references?.deploymentId;
    harness.simulator.advance();
    harness.simulator.resetCalls();
    const handler = createDeploymentOutcomeHandler(harness.deps);

    // Act: the event's words alone would not say why.
    const outcome = await handler(
      eventFixture<DeploymentOutcomeEvent>(
        'ecs-deployment-failed',
        { deploymentId, reason: 'ECS deployment failed.' },
        { resources: ['arn:aws:ecs:us-east-1:123456789012:service/prod/api'] },
      ),
    );

    // Assess
    const serviceDeployment = harness.simulator.serviceDeployments().at(-1);
    expect(deploymentId).toMatch(/^ecs-svc\//);
    expect(update?.references?.serviceDeploymentArn).toBe(serviceDeployment?.serviceDeploymentArn);
    expect(serviceDeployment?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(outcome).toMatchObject({ outcome: 'recorded', resourceId: API, commitId: released, result: 'rolled-back' });
    const recorded = (await harness.ledger.resourceHistory(API)).find((entry) => entry.trigger === 'deployment-event');
    expect(recorded?.reason).toContain(
      'service deployment CANARY ROLLBACK_SUCCESSFUL, 0% of traffic, alarms triggered: api-5xx, rollback: ECS deployment alarm api-5xx went into ALARM.',
    );
    expect(harness.simulator.calls['ECS.DescribeServiceDeployments']).toBe(1);
    // The service deployment decided: the service's rollback configuration was not read.
    expect(harness.simulator.calls['ECS.DescribeServices'] ?? 0).toBe(0);
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({ result: 'rolled-back', commitId: released, resourceIds: [API], deploymentId }),
    ]);
  });

  it('records a CloudFormation UPDATE_ROLLBACK_COMPLETE of a stack driftless changed as rolled-back', async () => {
    // Prepare
    harness = await createHarness();
    const base = await harness.bootstrap();
    const stackId = harness.simulator.stacks().find((stack) => stack.stackName === 'platform-network')?.stackId;
    const event = eventFixture<DeploymentOutcomeEvent>(
      'cloudformation-stack-status-change',
      { 'stack-id': stackId },
      { resources: [stackId] },
    );

    // Act
    const result = await createDeploymentOutcomeHandler(harness.deps)(event);

    // Assess
    expect(result).toMatchObject({
      outcome: 'recorded',
      resourceId: 'CloudFormationStack:platform-network',
      commitId: base,
      result: 'rolled-back',
    });
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({
        result: 'rolled-back',
        stackId,
        resourceIds: ['CloudFormationStack:platform-network'],
      }),
    ]);
  });
});
