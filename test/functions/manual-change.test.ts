/** The manual-change function, end to end: CloudTrail "AWS API Call via CloudTrail" events (shaped as the EventBridge
 * reference shows them) reconcile just the resource the call changed, through the real handler, on the simulator
 * and DynamoDB Local, with the installation's own calls ignored and a burst answered by one revert. */
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudTrailApiCallEvent } from '../../functions/events.ts';
import { createManualChangeHandler } from '../../functions/manual-change.ts';
import { newEntryId } from '../../shared/audit/ids.ts';
import { breakGlassEntry } from '../../shared/audit/pauses.ts';
import { RetryableError } from '../../shared/errors.ts';
import { createHarness, eventFixture, type Harness, writeCount } from './support.ts';

const OWN_ROLES = [
  'arn:aws:iam::123456789012:role/driftless-PushRole1A2B3C-XYZ',
  'arn:aws:iam::123456789012:role/driftless-ManualChangeRole4D5E6F-XYZ',
  'arn:aws:iam::123456789012:role/driftless-CloudFormationRole7G8H-XYZ',
];
const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/Admin';

function updateService(detail: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return eventFixture<CloudTrailApiCallEvent>('cloudtrail-ecs-update-service', detail, top);
}

/** The same call, made `secondsLater` after the fixture's, with its own CloudTrail event id. */
function laterUpdate(index: number, secondsLater = 0): CloudTrailApiCallEvent {
  const time = new Date(Date.parse('2024-05-01T12:00:03Z') + secondsLater * 1000).toISOString().replace('.000', '');
  return updateService(
    { eventID: `6a7e8f9a-0b1c-4d2e-8f3a-${String(index).padStart(12, '0')}`, eventTime: time },
    { id: `3f1c2a9e-0000-4000-8000-${String(index).padStart(12, '0')}` },
  );
}

describe('manual-change function', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  /** Bootstrapped, web scaled to 1 by hand; the clock is after every fixture's event time. */
  async function driftedHarness(environment: Record<string, unknown> = {}): Promise<Harness> {
    const created = await createHarness({
      environment: { ownRoleArns: OWN_ROLES, ...environment },
      deps: { now: () => Date.parse('2024-05-01T12:01:00Z') },
    });
    await created.bootstrap();
    created.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    created.simulator.driftService('prod', 'worker', (service) => {
      service.desiredCount = 7;
    });
    return created;
  }

  function desiredCount(of: Harness, name: string): number | undefined {
    return of.simulator.services().find((service) => service.serviceName === name)?.desiredCount;
  }

  it('reverts the one service the call changed, recording who made the change and with which call', async () => {
    // Prepare
    harness = await driftedHarness();

    // Act
    const result = await createManualChangeHandler(harness.deps)(updateService());

    // Assess: web reverted, worker (also drifted) left to the sweep.
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied', counts: { applied: 1 } });
    expect(desiredCount(harness, 'web')).toBe(3);
    expect(desiredCount(harness, 'worker')).toBe(7);
    expect(writeCount(harness.simulator)).toBe(1);
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    const history = await harness.ledger.resourceHistory('EcsService:prod/web');
    const entries = history.filter((entry) => entry.trigger === 'manual-change');
    expect(entries.map((entry) => [entry.kind, entry.action, entry.result]).sort()).toEqual([
      ['intent', 'UpdateService', undefined],
      ['outcome', 'UpdateService', 'succeeded'],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ changedBy: ADMIN_ROLE, apiCall: 'ecs:UpdateService' });
    }
    expect(harness.announced()).toEqual(['Drift Detected', 'Drift Reverted', 'Reconcile Succeeded']);
    expect(harness.details('Drift Reverted')[0]).toMatchObject({
      trigger: 'manual-change',
      resourceIds: ['EcsService:prod/web'],
      changedBy: ADMIN_ROLE,
      apiCall: 'ecs:UpdateService',
      cloudTrailEventId: '6a7e8f9a-0b1c-4d2e-8f3a-4b5c6d7e8f90',
    });
    // The run entry records the caller too.
    const run = (await harness.ledger.commitHistory(entries[0]!.commitId)).find(
      (entry) => entry.kind === 'run' && entry.trigger === 'manual-change',
    );
    expect(run).toMatchObject({ changedBy: ADMIN_ROLE, apiCall: 'ecs:UpdateService', result: 'succeeded' });
  });

  it('records but does not revert a manual change on a paused resource, naming who changed it', async () => {
    // Prepare: on call paused web for 2 hours before the console change.
    harness = await driftedHarness();
    const clock = Date.parse('2024-05-01T12:01:00Z');
    await harness.ledger.append(
      breakGlassEntry({
        kind: 'pause',
        entryId: newEntryId(new Date(clock - 120_000)),
        repository: 'platform-config',
        branch: 'main',
        commitId: (await harness.repo.git('rev-parse', 'HEAD')).toString().trim(),
        resourceId: 'EcsService:prod/web',
        by: 'arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza',
        reason: 'INC-4411: hot-fix under investigation',
        now: clock - 120_000,
        durationMs: 2 * 3_600_000,
      }),
    );

    // Act
    const result = await createManualChangeHandler(harness.deps)(updateService());

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: ['EcsService:prod/web'] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(desiredCount(harness, 'web')).toBe(1);
    const held = (await harness.ledger.resourceHistory('EcsService:prod/web')).find(
      (entry) => entry.trigger === 'manual-change' && entry.result === 'skipped',
    );
    expect(held).toMatchObject({
      changedBy: ADMIN_ROLE,
      apiCall: 'ecs:UpdateService',
      reason: expect.stringMatching(
        /^paused until 2024-05-01T13:59:00.000Z by arn:aws:sts::123456789012:assumed-role\/OnCall\/Jorge_Souza: INC-4411/,
      ),
    });
    expect(harness.announced()).toEqual(['Drift Detected']);
    expect(harness.details('Drift Detected')[0]).toMatchObject({
      changedBy: ADMIN_ROLE,
      policies: { 'EcsService:prod/web': 'paused' },
    });
  });

  it('records and announces, without reverting, a manual change on a resource whose drift policy is alert', async () => {
    // Prepare
    harness = await driftedHarness();
    const web = (await harness.repo.git('show', 'HEAD:services/web.yaml')).toString();
    await harness.repo.commit(
      { 'services/web.yaml': web.replace('sync:\n  wave: 1', 'sync:\n  wave: 1\n  drift: alert') },
      'web: alert on drift',
    );

    // Act
    const result = await createManualChangeHandler(harness.deps)(updateService());

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: ['EcsService:prod/web'] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(desiredCount(harness, 'web')).toBe(1);
    expect(harness.details('Drift Detected')[0]).toMatchObject({
      trigger: 'manual-change',
      changedBy: ADMIN_ROLE,
      apiCall: 'ecs:UpdateService',
      policies: { 'EcsService:prod/web': 'alert' },
    });
  });

  it('ignores calls made by driftless itself, by role ARN or by assumed-role session, without any AWS call', async () => {
    // Prepare
    harness = await driftedHarness();
    const handle = createManualChangeHandler(harness.deps);
    const bySession = updateService({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/driftless-PushRole1A2B3C-XYZ/driftless-push',
      },
    });
    const byIssuer = updateService({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/driftless-CloudFormationRole7G8H-XYZ/AWSCloudFormation',
        sessionContext: { sessionIssuer: { type: 'Role', arn: OWN_ROLES[2] } },
      },
    });

    // Act
    const results = [await handle(bySession), await handle(byIssuer)];

    // Assess: no loop — nothing read, nothing written, nothing recorded or announced.
    for (const result of results) {
      expect(result).toMatchObject({ outcome: 'ignored' });
      expect((result as { reason: string }).reason).toMatch(/made by driftless itself/);
    }
    expect(harness.simulator.calls).toEqual({});
    expect(harness.announced()).toEqual([]);
    expect(await harness.ledger.resourceHistory('EcsService:prod/web', { limit: 50 })).not.toContainEqual(
      expect.objectContaining({ trigger: 'manual-change' }),
    );
    expect(desiredCount(harness, 'web')).toBe(1);
  });

  it('answers a burst of 50 events for one service with one revert', async () => {
    // Prepare: 50 console changes within 40 seconds, delivered after the fact, one at a time (reserved concurrency 1).
    harness = await driftedHarness();
    const handle = createManualChangeHandler(harness.deps);
    const burst = Array.from({ length: 50 }, (_, index) => laterUpdate(index, Math.floor(index * 0.8)));

    // Act
    const results = [];
    for (const event of burst) results.push(await handle(event));

    // Assess
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    expect(writeCount(harness.simulator)).toBe(1);
    expect(results.filter((result) => result.outcome === 'reconciled')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'coalesced')).toHaveLength(49);
    expect(desiredCount(harness, 'web')).toBe(3);
    expect(harness.announced().filter((type) => type === 'Drift Reverted')).toHaveLength(1);
  });

  it('answers a burst delivered all at once with one revert: the runs that lost the lock are retried and coalesced', async () => {
    // Prepare
    harness = await driftedHarness();
    const handle = createManualChangeHandler(harness.deps);
    const burst = Array.from({ length: 50 }, (_, index) => laterUpdate(index));

    // Act: all 50 at once; Lambda's retry delivers the rejected ones again.
    const first = await Promise.allSettled(burst.map((event) => handle(event)));
    const retried = first.flatMap((settled, index) => (settled.status === 'rejected' ? [burst[index]!] : []));
    const second = await Promise.allSettled(retried.map((event) => handle(event)));

    // Assess
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    for (const settled of first) {
      if (settled.status === 'rejected') expect(settled.reason).toBeInstanceOf(RetryableError);
    }
    expect(second.every((settled) => settled.status === 'fulfilled')).toBe(true);
    expect(desiredCount(harness, 'web')).toBe(3);
  });

  it('runs again for a change made after the last run started', async () => {
    // Prepare
    harness = await driftedHarness();
    let clock = Date.parse('2024-05-01T12:01:00Z');
    const handle = createManualChangeHandler({ ...harness.deps, now: () => clock });
    await handle(updateService());
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 9;
    });
    clock = Date.parse('2024-05-01T12:03:00Z');

    // Act: made at 12:02:10, after the first run started at 12:01:00.
    const result = await handle(laterUpdate(1, 127));

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied' });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(2);
    expect(desiredCount(harness, 'web')).toBe(3);
  });

  it('reverts a stack changed by hand, named by the IAM user who did it', async () => {
    // Prepare
    harness = await driftedHarness();
    harness.simulator.driftStack('platform-network', (stack) => {
      stack.parameters.Environment = 'staging';
    });
    const event = eventFixture<CloudTrailApiCallEvent>('cloudtrail-cloudformation-update-stack');

    // Act
    const result = await createManualChangeHandler(harness.deps)(event);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied' });
    expect(
      harness.simulator.stacks().find((stack) => stack.stackName === 'platform-network')?.parameters,
    ).toMatchObject({ Environment: 'prod' });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(0);
    const entries = await harness.ledger.resourceHistory('CloudFormationStack:platform-network');
    expect(
      entries.find((entry) => entry.action === 'ExecuteChangeSet' && entry.trigger === 'manual-change'),
    ).toMatchObject({
      trigger: 'manual-change',
      changedBy: 'arn:aws:iam::123456789012:user/Mary_Major',
      apiCall: 'cloudformation:UpdateStack',
    });
  });

  it('reconciles every declared stack when ExecuteChangeSet names only a change-set ARN', async () => {
    // Prepare
    harness = await driftedHarness();
    harness.simulator.driftStack('platform-network', (stack) => {
      stack.tags.team = 'someone-else';
    });
    const event = eventFixture<CloudTrailApiCallEvent>('cloudtrail-cloudformation-update-stack', {
      eventName: 'ExecuteChangeSet',
      requestParameters: {
        changeSetName:
          'arn:aws:cloudformation:us-east-1:123456789012:changeSet/hotfix/0d9a8b7c-6e5f-4a3b-2c1d-0e9f8a7b6c5d',
      },
      responseElements: null,
    });

    // Act
    const result = await createManualChangeHandler(harness.deps)(event);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied' });
    expect(harness.simulator.stacks().find((stack) => stack.stackName === 'platform-network')?.tags.team).toBe(
      'platform',
    );
    expect(desiredCount(harness, 'web')).toBe(1);
  });

  it.each([
    ['a failed call', { errorCode: 'AccessDeniedException', errorMessage: 'not authorized' }, /failed/],
    ['a read-only call', { readOnly: true }, /read-only/],
    ['Application Auto Scaling', { userIdentity: { invokedBy: 'ecs.application-autoscaling.amazonaws.com' } }, /owns/],
    ['a cluster outside the limits', { requestParameters: { cluster: 'staging', service: 'web' } }, /outside/],
    ['a call that changes no service', { eventName: 'RunTask' }, /not a call that changes a service/],
  ])('ignores %s without any AWS call', async (_name, detail, reason) => {
    // Prepare
    harness = await driftedHarness();
    const event = updateService({
      ...detail,
      ...('requestParameters' in detail ? { responseElements: null } : {}),
    });

    // Act
    const result = await createManualChangeHandler(harness.deps)(event);

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored' });
    expect((result as { reason: string }).reason).toMatch(reason);
    expect(harness.simulator.calls).toEqual({});
  });

  it('ignores an event that is not a CloudTrail API call', async () => {
    // Prepare
    harness = await driftedHarness();

    // Act
    const result = await createManualChangeHandler(harness.deps)(
      eventFixture<CloudTrailApiCallEvent>('ecs-deployment-failed'),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored' });
    expect(harness.simulator.calls).toEqual({});
  });

  it('refuses to start without the installation own roles: it would answer its own writes', async () => {
    // Prepare
    harness = await createHarness();

    // Act, Assess
    expect(() => createManualChangeHandler(harness!.deps)).toThrow(/DRIFTLESS_OWN_ROLE_ARNS/);
  });
});
