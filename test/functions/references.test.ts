/** Stack-output references through the real handler factories: a push whose service takes its subnets from the
 * network stack's outputs, and the pull-request comment showing each resolved value and where it came from. */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PullRequestStateChangeEvent, RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPullRequestHandler } from '../../functions/pull-request.ts';
import { createPushHandler } from '../../functions/push.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { PLAN_COMMENT_MARKER } from '../../shared/writeback/pull-request-comments.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness } from './support.ts';

const TREE = await readTree(EXAMPLE_REPO_DIR);
const TEMPLATE = `${String(TREE['stacks/network.template.yaml'])}  PrivateSubnetAId:
    Value: !Ref PrivateSubnetA
  PrivateSubnetBId:
    Value: !Ref PrivateSubnetB
`;
const WEB = String(TREE['services/web.yaml']).replace(
  'subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829]',
  'subnets: ["${stack:platform-network.PrivateSubnetAId}", "${stack:platform-network.PrivateSubnetBId}"]',
);

/** The network stack's outputs, by key. */
async function outputsOf(simulator: AwsSimulator): Promise<(key: string) => string | undefined> {
  const described = await simulator.cloudFormation.send(new DescribeStacksCommand({ StackName: 'platform-network' }));
  const outputs = described.Stacks?.[0]?.Outputs ?? [];
  return (key) => outputs.find((output) => output.OutputKey === key)?.OutputValue;
}

describe('stack references through the functions', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function referencingHarness() {
    const holder: { simulator?: AwsSimulator } = {};
    const created = await createHarness({
      deps: {
        sleep: async () => {
          holder.simulator?.advance();
        },
        applyOptions: { changeSetPollMs: 1, baseDelayMs: 1, stackStablePollMs: 1, stackStableMaxPolls: 3 },
      },
    });
    holder.simulator = created.simulator;
    return created;
  }

  it('a push adding the outputs and the references updates the stack, then web with the resolved subnets', async () => {
    // Prepare
    harness = await referencingHarness();
    const before = await harness.bootstrap();
    const pushed = await harness.repo.commit(
      { 'stacks/network.template.yaml': TEMPLATE, 'services/web.yaml': WEB },
      'web: subnets from the network stack',
    );
    const updatesBefore = harness.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).length;

    // Act
    const result = await createPushHandler(harness.deps)(
      eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
        commitId: pushed,
        oldCommitId: before,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: pushed });
    const value = await outputsOf(harness.simulator);
    expect(value('PrivateSubnetAId')).toMatch(/^subnet-[0-9a-f]{17}$/);
    const updates = harness.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).slice(updatesBefore);
    expect(updates.map((call) => call.args[0].input.service)).toEqual(['web']);
    expect(updates[0]!.args[0].input.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual([
      value('PrivateSubnetAId'),
      value('PrivateSubnetBId'),
    ]);
    expect(harness.announced()).toEqual(['Reconcile Succeeded']);
  });

  it('the pull-request comment shows each resolved value and the reference it came from', async () => {
    // Prepare
    harness = await referencingHarness();
    await harness.bootstrap();
    const destination = await harness.repo.commit(
      { 'stacks/network.template.yaml': TEMPLATE },
      'network: subnet outputs',
    );
    await createPushHandler(harness.deps)(
      eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', { commitId: destination }),
    );
    harness.simulator.advance();
    await harness.repo.branch('web-subnets');
    await harness.repo.checkout('web-subnets');
    const source = await harness.repo.commit({ 'services/web.yaml': WEB }, 'web: subnets from the network stack');
    await harness.repo.checkout('main');
    const network = harness.simulator.stacks().find((stack) => stack.stackName === 'platform-network');
    expect(network?.status).toBe('UPDATE_COMPLETE');

    // Act
    const result = await createPullRequestHandler(harness.deps)(
      eventFixture<PullRequestStateChangeEvent>('codecommit-pull-request-created', {
        sourceCommit: source,
        destinationCommit: destination,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'commented', commitId: source, errors: 0 });
    const content = harness.comments.comments.find((comment) =>
      comment.content?.startsWith(PLAN_COMMENT_MARKER),
    )?.content;
    const value = await outputsOf(harness.simulator);
    expect(content).toContain(
      `- resolved \`/spec/networkConfiguration/awsvpcConfiguration/subnets/0\` = \`${value('PrivateSubnetAId')}\` ← \`\${stack:platform-network.PrivateSubnetAId}\``,
    );
    expect(content).toContain('/spec/networkConfiguration/awsvpcConfiguration/subnets');
  });
  it('the pull-request comment names an unresolved reference at file:line and plans the rest', async () => {
    // Prepare
    harness = await referencingHarness();
    const destination = await harness.bootstrap();
    await harness.repo.branch('web-subnets');
    await harness.repo.checkout('web-subnets');
    const source = await harness.repo.commit({ 'services/web.yaml': WEB }, 'web: subnets from outputs not there yet');
    await harness.repo.checkout('main');

    // Act
    const result = await createPullRequestHandler(harness.deps)(
      eventFixture<PullRequestStateChangeEvent>('codecommit-pull-request-created', {
        sourceCommit: source,
        destinationCommit: destination,
      }),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'commented', commitId: source, errors: 2 });
    const content = harness.comments.comments.find((comment) =>
      comment.content?.startsWith(PLAN_COMMENT_MARKER),
    )?.content;
    expect(content).toContain('#### Validation: 2 errors, 0 warnings');
    expect(content).toContain(
      '- **error** `services/web.yaml:14:17` `E_REFERENCE` ${stack:platform-network.PrivateSubnetAId}: stack platform-network (CREATE\\_COMPLETE) has no output PrivateSubnetAId (its outputs: PrivateSubnetIds, ServiceSecurityGroupId, VpcId)',
    );
    expect(content).toContain('**Plan: 0 to create, 0 to update, 0 to delete, 3 in sync.**');
  });
});
