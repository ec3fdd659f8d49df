/** The functions know where they run: the region from AWS_REGION and the account from their own ARN in the Lambda
 * context; a push naming a cluster ARN in another account is refused at file:line, before any AWS call for it. */
import { afterEach, describe, expect, it } from 'vitest';
import { lazyHandler } from '../../functions/dependencies.ts';
import { ENVIRONMENT, limitsOf, readEnvironment } from '../../functions/environment.ts';
import type { RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { ACCOUNT, createHarness, eventFixture, type Harness, REGION } from './support.ts';

const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:driftless-push`;

describe('where a function deploys', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('reads its region from AWS_REGION, and the partition that goes with it', () => {
    // Act
    const environment = readEnvironment({
      [ENVIRONMENT.repository]: 'platform-config',
      [ENVIRONMENT.branch]: 'main',
      [ENVIRONMENT.installationId]: 'prod-1',
      [ENVIRONMENT.ledgerTable]: 'driftless-ledger',
      [ENVIRONMENT.lockTable]: 'driftless-lock',
      [ENVIRONMENT.allowedClusters]: 'prod',
      AWS_REGION: 'cn-northwest-1',
    });

    // Assess
    expect(limitsOf(environment)).toMatchObject({ region: 'cn-northwest-1', partition: 'aws-cn' });
    expect(limitsOf(environment)).not.toHaveProperty('account');
  });

  it('refuses, through the handler, a pushed cluster ARN in another account than its own ARN names', async () => {
    // Prepare: the environment knows the region only; the account comes from the invocation's context.
    harness = await createHarness({ environment: { account: undefined } });
    const before = await harness.bootstrap();
    const web = (await readTree(EXAMPLE_REPO_DIR))
      ['services/web.yaml']!.toString()
      .replace('  cluster: prod\n', '  cluster: arn:aws:ecs:us-east-1:999999999999:cluster/prod\n');
    const pushed = await harness.repo.commit({ 'services/web.yaml': web }, 'web: a cluster in another account');
    const deps = harness.deps;
    const handler = lazyHandler(createPushHandler, () => deps);
    const event = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
      commitId: pushed,
      oldCommitId: before,
    });

    // Act
    const result = await handler(event, { invokedFunctionArn: FUNCTION_ARN });

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'failed' });
    expect(harness.details('Reconcile Failed')).toEqual([
      expect.objectContaining({
        diagnostics: [
          {
            file: 'services/web.yaml',
            line: 3,
            code: 'E_TARGET',
            message: expect.stringContaining('account 999999999999, not 123456789012'),
          },
        ],
      }),
    ]);
    expect(harness.simulator.calls['ECS.DescribeServices'] ?? 0).toBe(0);
    expect(harness.simulator.calls['ECS.UpdateService'] ?? 0).toBe(0);
  });
});
