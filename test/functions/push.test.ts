/** The push function, end to end: EventBridge CodeCommit events in, reconcile against the simulator and DynamoDB
 * Local, notifications out. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionDependencies } from '../../functions/dependencies.ts';
import type { RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { createHarness, eventFixture, type Harness, untouchable, writeCount } from './support.ts';

function pushEvent(detail: Record<string, unknown>): RepositoryStateChangeEvent {
  return eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', detail);
}

describe('push function', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('reconciles a push on the tracked branch, applies it and announces Reconcile Succeeded', async () => {
    // Prepare
    harness = await createHarness();
    const before = await harness.bootstrap();
    const pushed = await harness.bumpImage('1.4.3');
    const handler = createPushHandler(harness.deps);

    // Act
    const result = await handler(pushEvent({ commitId: pushed, oldCommitId: before }));

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: pushed });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    expect(harness.announced()).toEqual(['Reconcile Succeeded']);
    const [detail] = harness.details('Reconcile Succeeded');
    expect(detail).toMatchObject({
      repository: 'platform-config',
      branch: 'main',
      trigger: 'push',
      commitId: pushed,
      resourceIds: ['EcsService:prod/web'],
    });
    const history = await harness.ledger.commitHistory(pushed);
    expect(detail?.runId).toBe(history[0]?.runId);
    expect(detail?.entryIds).toEqual(expect.arrayContaining([expect.any(String)]));
    const ids = new Set(history.map((entry) => entry.entryId));
    expect(((detail?.entryIds ?? []) as string[]).every((id) => ids.has(id))).toBe(true);
    expect(detail?.runEntryId).toBe(history.find((entry) => entry.kind === 'run')?.entryId);
    expect(history.find((entry) => entry.kind === 'run')).toMatchObject({
      trigger: 'push',
      pushedBy: 'arn:aws:sts::123456789012:assumed-role/Developer/Mary_Major',
    });
  });

  it.each([
    ['another branch', 'codecommit-reference-created', {}],
    ['a deleted tracked branch', 'codecommit-reference-deleted', {}],
    ['another repository', 'codecommit-reference-updated', { repositoryName: 'someone-elses-config' }],
  ])('ignores %s with one log line and no AWS call', async (_what, fixture, detail) => {
    // Prepare: every dependency that could reach AWS fails the test when touched.
    harness = await createHarness();
    const deps: FunctionDependencies = {
      ...harness.deps,
      source: untouchable('source'),
      ecs: untouchable('ecs'),
      cloudFormation: untouchable('cloudFormation'),
      ledger: untouchable('ledger'),
      lock: untouchable('lock'),
      eventBridge: untouchable('eventBridge'),
      codeCommit: untouchable<NonNullable<FunctionDependencies['codeCommit']>>('codeCommit'),
    };

    // Act
    const result = await createPushHandler(deps)(eventFixture<RepositoryStateChangeEvent>(fixture, detail));

    // Assess
    expect(result.outcome).toBe('ignored');
    expect(harness.logger.lines).toHaveLength(1);
    expect(harness.logger.lines[0]).toMatchObject({ level: 'info', message: 'push ignored' });
    expect(harness.simulator.calls).toEqual({});
  });

  it('treats a duplicate push event as a no-op: no AWS write and nothing announced', async () => {
    // Prepare
    harness = await createHarness();
    const before = await harness.bootstrap();
    const pushed = await harness.bumpImage('1.4.3');
    const handler = createPushHandler(harness.deps);
    const event = pushEvent({ commitId: pushed, oldCommitId: before });
    await handler(event);
    harness.simulator.advance();
    const writes = writeCount(harness.simulator);
    const announced = harness.announced().length;

    // Act
    const duplicate = await handler(event);

    // Assess
    expect(duplicate).toMatchObject({ outcome: 'reconciled', status: 'in-sync', commitId: pushed, announced: [] });
    expect(writeCount(harness.simulator)).toBe(writes);
    expect(harness.announced()).toHaveLength(announced);
  });

  it('rethrows a retryable failure (a throttled live read) for EventBridge to retry, and announces it', async () => {
    // Prepare
    harness = await createHarness();
    const before = await harness.bootstrap();
    const pushed = await harness.bumpImage('1.4.3');
    harness.simulator.injectFault('ECS.DescribeServices', 'throttle', 1);

    // Act
    const failure = await createPushHandler(harness.deps)(pushEvent({ commitId: pushed, oldCommitId: before })).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(harness.details('Reconcile Failed')).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.objectContaining({ name: 'LiveUnavailableError', retryable: true }),
      }),
    ]);
    // The run entry says the same word as the event.
    const runs = (await harness.ledger.commitHistory(pushed)).filter((entry) => entry.kind === 'run');
    expect(runs).toEqual([
      expect.objectContaining({ result: 'failed', reason: expect.stringContaining('LiveUnavailableError') }),
    ]);
  });

  it('returns a terminal failure (the tracked branch does not exist) without rethrowing, and announces it', async () => {
    // Prepare
    harness = await createHarness({ environment: { branch: 'release' } });
    const handler = createPushHandler(harness.deps);

    // Act
    const result = await handler(pushEvent({ referenceName: 'release', referenceFullName: 'refs/heads/release' }));

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', error: { name: 'RefNotFoundError', retryable: false } });
    expect(harness.announced()).toEqual(['Reconcile Failed']);
    expect(harness.logger.lines.at(-1)).toMatchObject({ level: 'error' });
    expect(writeCount(harness.simulator)).toBe(0);
  });

  it('reports a broken declaration with its file and line, announces it, and does not rethrow', async () => {
    // Prepare
    harness = await createHarness();
    const before = await harness.bootstrap();
    const broken = await harness.repo.commit(
      { 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: web }\n' },
      'break web',
    );

    // Act
    const result = await createPushHandler(harness.deps)(pushEvent({ commitId: broken, oldCommitId: before }));

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'failed' });
    expect(writeCount(harness.simulator)).toBe(0);
    const [detail] = harness.details('Reconcile Failed');
    expect(detail?.diagnostics).toEqual(
      expect.arrayContaining([expect.objectContaining({ file: 'services/web.yaml', line: 3, code: 'E_SCHEMA' })]),
    );
  });
});
