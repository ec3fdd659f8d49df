/** Rollbacks written back to Git, end to end through the deployment-outcome handler: the simulator's circuit breaker
 * rolls a push back, the ECS event is delivered, and the rollback pull request is asserted on the CodeCommit calls. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CodeCommitClient,
  CodeCommitServiceException,
  CreatePullRequestCommand,
  RepositoryDoesNotExistException,
} from '@aws-sdk/client-codecommit';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeploymentOutcomeHandler, type DeploymentOutcomeEvent } from '../../functions/deployment-outcome.ts';
import type { RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import type { LedgerEntry } from '../../shared/audit/ledger.ts';
import { RetryableError } from '../../shared/errors.ts';
import { CodeCommitProposer, pullRequestToken } from '../../shared/writeback/codecommit-proposer.ts';
import { WRITE_BACK_REASON_PREFIX } from '../../shared/writeback/rollback.ts';
import { EXAMPLE_REPO_DIR } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, ProposalStore, REGION, REPOSITORY, writeCount } from './support.ts';

const WEB = 'EcsService:prod/web';
const NETWORK = 'CloudFormationStack:platform-network';

describe('rollback write-back (deployment-outcome function)', () => {
  let harness: Harness | undefined;
  let store: ProposalStore | undefined;
  afterEach(async () => {
    store?.mock.restore();
    store = undefined;
    await harness?.cleanup();
    harness = undefined;
  });

  async function setUp(): Promise<{ harness: Harness; store: ProposalStore }> {
    store = new ProposalStore(
      new CodeCommitClient({
        region: REGION,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }),
    );
    harness = await createHarness({
      deps: { proposer: new CodeCommitProposer({ repositoryName: REPOSITORY, client: store.client }) },
    });
    return { harness, store };
  }

  function pushEvent(commitId: string, oldCommitId: string): RepositoryStateChangeEvent {
    return eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', { commitId, oldCommitId });
  }

  async function deploymentOf(target: Harness, commitId: string): Promise<string> {
    const history = await target.ledger.resourceHistory(WEB);
    const update = history.find(
      (entry) => entry.commitId === commitId && entry.kind === 'outcome' && entry.action === 'UpdateService',
    );
    return update!.references!.deploymentId!;
  }

  /** web runs 1.4.2; a push rolls out 1.4.3; the circuit breaker fails it and rolls back. */
  async function rolledBackPush(target: Harness) {
    const base = await target.bootstrap();
    const bad = await target.bumpImage('1.4.3');
    const push = createPushHandler(target.deps);
    await push(pushEvent(bad, base));
    const deploymentId = await deploymentOf(target, bad);
    target.simulator.failNextRollout('prod', 'web');
    target.simulator.advance();
    target.eventBridge.resetHistory();
    const event = eventFixture<DeploymentOutcomeEvent>('ecs-deployment-failed', { deploymentId });
    return { base, bad, push, deploymentId, event };
  }

  const webAtBase = () => readFile(join(EXAMPLE_REPO_DIR, 'services/web.yaml'));

  it('opens one pull request restoring web.yaml as it was before the rolled-back commit, and never re-applies the commit', async () => {
    // Prepare
    const { harness, store } = await setUp();
    const { base, bad, push, deploymentId, event } = await rolledBackPush(harness);
    const handler = createDeploymentOutcomeHandler(harness.deps);
    const running = () => harness.simulator.services().find((service) => service.serviceName === 'web');
    const rolledBackTo = running()?.taskDefinition;

    // Act
    const outcome = await handler(event);
    const repeated = await handler(event);
    harness.simulator.resetCalls();
    const again = await push(pushEvent(bad, base));

    // Assess: the CodeCommit calls, with their exact inputs.
    const branch = `driftless/rollback/prod-web-${bad.slice(0, 12)}`;
    expect(store.commandNames()).toEqual(['CreateBranch', 'CreateCommit', 'CreatePullRequest']);
    const calls = store.mock.calls().map((call) => (call.args[0] as { input: unknown }).input);
    expect(calls[0]).toEqual({ repositoryName: REPOSITORY, branchName: branch, commitId: bad });
    const title = `Revert web to ${base.slice(0, 12)}: deployment rolled back`;
    expect(calls[1]).toEqual({
      repositoryName: REPOSITORY,
      branchName: branch,
      parentCommitId: bad,
      authorName: 'driftless',
      commitMessage: `${title}\n\nRestores services/web.yaml as of ${base}: the deployment of ${bad} to ${WEB} was rolled back.`,
      putFiles: [{ filePath: 'services/web.yaml', fileContent: new Uint8Array(await webAtBase()) }],
    });
    expect(
      Buffer.from((calls[1] as { putFiles: { fileContent: Uint8Array }[] }).putFiles[0]!.fileContent).toString(),
    ).toContain('web:1.4.2');

    const history = await harness.ledger.resourceHistory(WEB);
    const rolledBack = history.find(
      (entry) => entry.trigger === 'deployment-event' && !entry.reason?.startsWith(WRITE_BACK_REASON_PREFIX),
    )!;
    const writeBack = history.find((entry) => entry.reason?.startsWith(WRITE_BACK_REASON_PREFIX))!;
    const deployedAtBase = history.find(
      (entry) => entry.commitId === base && entry.kind === 'outcome' && entry.result === 'succeeded',
    )!;
    const runEntries = history
      .filter((entry: LedgerEntry) => entry.runId === rolledBack.runId && entry.commitId === bad && entry !== writeBack)
      .map((entry) => entry.entryId)
      .sort();
    expect(calls[2]).toEqual({
      title,
      description: [
        `The ECS deployment circuit breaker rolled back ECS deployment ${deploymentId}: commit ${bad} is no longer what runs ${WEB}.`,
        'This pull request makes Git say what AWS runs again.',
        '',
        `- Resource: ${WEB} (services/web.yaml)`,
        `- Rolled-back commit: ${bad}`,
        '- Restores: services/web.yaml',
        `- Previous version: ${base} — the newest commit the ledger records as deployed (entry ${deployedAtBase.entryId})`,
        `- ECS deployment: ${deploymentId}`,
        ...(rolledBack.references?.serviceArn ? [`- ECS service: ${rolledBack.references.serviceArn}`] : []),
        `- Ledger run: ${rolledBack.runId}`,
        `- Ledger entries: ${runEntries.join(', ')}`,
        '',
        'To look:',
        `    driftless audit --resource ${WEB}`,
        `    driftless audit --commit ${bad}`,
        '',
        `driftless never merges this pull request: merge it to roll back in Git, or close it. Until a newer commit arrives, commit ${bad.slice(0, 12)} is not re-applied to ${WEB}.`,
      ].join('\n'),
      targets: [{ repositoryName: REPOSITORY, sourceReference: branch, destinationReference: 'main' }],
      clientRequestToken: pullRequestToken(REPOSITORY, branch),
    });
    expect(runEntries).toContain(rolledBack.entryId);
    expect(runEntries.length).toBeGreaterThanOrEqual(3);

    // …the handler's answer, the ledger, the event.
    expect(outcome).toMatchObject({
      outcome: 'recorded',
      result: 'rolled-back',
      commitId: bad,
      rollbackProposal: { status: 'opened', branch, pullRequestId: '1', entryId: writeBack.entryId },
    });
    expect(writeBack).toMatchObject({
      kind: 'outcome',
      result: 'skipped',
      commitId: bad,
      trigger: 'deployment-event',
      references: expect.objectContaining({ deploymentId, pullRequestId: '1' }),
    });
    expect(writeBack.reason).toBe(
      `${WRITE_BACK_REASON_PREFIX} pull request 1 (branch ${branch}) restores the files as of ${base.slice(0, 12)}; rolled back in ${rolledBack.entryId}`,
    );
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({
        result: 'rolled-back',
        commitId: bad,
        deploymentId,
        rollbackProposal: { status: 'opened', branch, pullRequestId: '1' },
      }),
    ]);

    // A repeated event proposes nothing more; the rolled-back commit is not applied again; the service stays rolled back.
    expect(repeated.outcome).toBe('ignored');
    expect(store.pullRequests).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'reconciled', counts: { skipped: 1 } });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(running()?.taskDefinition).toBe(rolledBackTo);
    expect(rolledBackTo).toMatch(/task-definition\/web:1$/);
    // The rollback is one failure in the ledger; its write-back is not a second one.
    const failures = await harness.ledger.failures({ since: new Date(Date.now() - 3_600_000).toISOString() });
    expect(failures.filter((entry) => entry.resourceId === WEB && entry.commitId === bad)).toEqual([
      expect.objectContaining({ result: 'rolled-back', entryId: rolledBack.entryId }),
    ]);
  });

  it('retries a throttled pull request with the whole event: the retry finishes the half-made proposal, once', async () => {
    // Prepare
    const { harness, store } = await setUp();
    const { bad, event } = await rolledBackPush(harness);
    store.mock
      .on(CreatePullRequestCommand)
      .rejectsOnce(
        new CodeCommitServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400, attempts: 3 },
          message: 'Rate exceeded',
        }),
      )
      .callsFake(() => ({ pullRequest: { pullRequestId: '7', pullRequestStatus: 'OPEN' } }));
    const handler = createDeploymentOutcomeHandler(harness.deps);

    // Act
    const first = await handler(event).catch((error: unknown) => error);
    const retried = await handler(event);
    const third = await handler(event);

    // Assess
    expect(first).toBeInstanceOf(RetryableError);
    const branch = `driftless/rollback/prod-web-${bad.slice(0, 12)}`;
    expect(retried).toMatchObject({
      outcome: 'recorded',
      result: 'rolled-back',
      rollbackProposal: { status: 'opened', branch, pullRequestId: '7' },
    });
    expect(third.outcome).toBe('ignored');
    expect(store.commandNames()).toEqual([
      'CreateBranch',
      'CreateCommit',
      'CreatePullRequest',
      'CreateBranch',
      'GetBranch',
      'GetCommit',
      'CreatePullRequest',
    ]);
    const tokens = store.mock
      .commandCalls(CreatePullRequestCommand)
      .map((call) => call.args[0].input.clientRequestToken);
    expect(new Set(tokens)).toEqual(new Set([pullRequestToken(REPOSITORY, branch)]));
    const history = await harness.ledger.resourceHistory(WEB);
    expect(history.filter((entry) => entry.trigger === 'deployment-event')).toHaveLength(2);
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({ rollbackProposal: { status: 'opened', branch, pullRequestId: '7' } }),
    ]);
  });

  it('opens nothing when a newer commit changed web.yaml since, and says why in the ledger and the event', async () => {
    // Prepare
    const { harness, store } = await setUp();
    const { bad, event } = await rolledBackPush(harness);
    const newer = await harness.bumpImage('1.4.4');

    // Act
    const outcome = await createDeploymentOutcomeHandler(harness.deps)(event);

    // Assess
    expect(store.commandNames()).toEqual([]);
    const reason = `main changed services/web.yaml since ${bad.slice(0, 12)} (now at ${newer.slice(0, 12)}): a newer commit supersedes the rolled-back one, so nothing is proposed`;
    expect(outcome).toMatchObject({ outcome: 'recorded', rollbackProposal: { status: 'not-proposed', reason } });
    const writeBack = (await harness.ledger.resourceHistory(WEB))[0];
    expect(writeBack?.reason).toMatch(new RegExp(`^${WRITE_BACK_REASON_PREFIX} nothing proposed: main changed`));
    expect(writeBack?.result).toBe('skipped');
    expect(harness.details('Rollout Failed')).toEqual([
      expect.objectContaining({ rollbackProposal: { status: 'not-proposed', reason } }),
    ]);
  });

  it('logs and records a terminal CodeCommit refusal, returns, and does not try again on a repeat', async () => {
    // Prepare
    const { harness, store } = await setUp();
    const { event } = await rolledBackPush(harness);
    store.mock.reset();
    store.mock.rejects(
      new RepositoryDoesNotExistException({
        message: `${REPOSITORY} does not exist`,
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const handler = createDeploymentOutcomeHandler(harness.deps);

    // Act
    const outcome = await handler(event);
    const repeated = await handler(event);

    // Assess
    expect(outcome).toMatchObject({
      outcome: 'recorded',
      result: 'rolled-back',
      rollbackProposal: { status: 'failed', reason: expect.stringContaining('CreateBranch') },
    });
    expect(repeated.outcome).toBe('ignored');
    expect(store.commandNames()).toEqual(['CreateBranch']);
    expect(harness.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'rollback write-back failed; not retried: retrying cannot change this',
      }),
    );
  });

  it('restores a stack template a CloudFormation rollback undid', async () => {
    // Prepare
    const { harness, store } = await setUp();
    const base = await harness.bootstrap();
    const template = await readFile(join(EXAMPLE_REPO_DIR, 'stacks/network.template.yaml'), 'utf8');
    const bad = await harness.repo.commit(
      { 'stacks/network.template.yaml': template.replace('EnableDnsHostnames: true', 'EnableDnsHostnames: false') },
      'network: no DNS host names',
    );
    await createPushHandler(harness.deps)(pushEvent(bad, base));
    harness.simulator.advance();
    const stackId = harness.simulator.stacks().find((stack) => stack.stackName === 'platform-network')?.stackId;
    const event = eventFixture<DeploymentOutcomeEvent>(
      'cloudformation-stack-status-change',
      { 'stack-id': stackId },
      { resources: [stackId] },
    );

    // Act
    const outcome = await createDeploymentOutcomeHandler(harness.deps)(event);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', resourceId: NETWORK, commitId: bad, result: 'rolled-back' });
    const calls = store.mock.calls().map((call) => (call.args[0] as { input: Record<string, unknown> }).input);
    expect(store.commandNames()).toEqual(['CreateBranch', 'CreateCommit', 'CreatePullRequest']);
    expect(calls[1]).toMatchObject({
      branchName: `driftless/rollback/platform-network-${bad.slice(0, 12)}`,
      parentCommitId: bad,
      putFiles: [{ filePath: 'stacks/network.template.yaml', fileContent: new TextEncoder().encode(template) }],
    });
    expect(calls[2]).toMatchObject({
      title: `Revert platform-network to ${base.slice(0, 12)}: deployment rolled back`,
    });
    expect(calls[2]?.description).toContain(`- CloudFormation stack: ${stackId}`);
  });
});
