/** The webhook worker: queued GitHub and GitLab deliveries run the push path (a reconcile of the head it reads) and
 * the pull-request path (the plan reported through the host's PlanReporter, here a fake of the port), with retryable
 * failures handed back to SQS per message. The real handler factories, the simulator, DynamoDB Local and a real git
 * repository (test/functions/support.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { hostAdapters } from '../../functions/hosts.ts';
import { createWebhookWorker } from '../../functions/webhook-worker.ts';
import { RetryableError } from '../../shared/errors.ts';
import { CodeCommitGitSource } from '../../shared/source/codecommit.ts';
import { GitHubGitSource } from '../../shared/source/github.ts';
import { GitLabGitSource } from '../../shared/source/gitlab.ts';
import type { WebhookMessage } from '../../shared/triggers/webhook-events.ts';
import { CodeCommitPlanReporter } from '../../shared/writeback/codecommit-plan-reporter.ts';
import { GitHubPlanReporter } from '../../shared/writeback/github-plan-reporter.ts';
import { GitHubProposer } from '../../shared/writeback/github-proposer.ts';
import { GitLabPlanReporter } from '../../shared/writeback/gitlab-plan-reporter.ts';
import type { PlanReport, PlanReporter, PlanReportResult } from '../../shared/writeback/plan-reporter.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, type Harness, REPOSITORY, testEnvironment, writeCount } from './support.ts';

const WEB = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();

/** The PlanReporter port, recording each report; `failWith` makes it throw instead. */
class RecordingReporter implements PlanReporter {
  readonly reports: PlanReport[] = [];
  failWith?: Error;
  async report(report: PlanReport): Promise<PlanReportResult> {
    if (this.failWith) throw this.failWith;
    this.reports.push(report);
    return { action: this.reports.length === 1 ? 'posted' : 'updated', commentId: 'c-1', checkId: '901' };
  }
}

function sqsEvent(...messages: (WebhookMessage | string)[]) {
  return {
    Records: messages.map((message, index) => ({
      messageId: `message-${index}`,
      body: typeof message === 'string' ? message : JSON.stringify(message),
      attributes: { ApproximateReceiveCount: '1' },
    })),
  };
}

function pushMessage(before: string, after: string): WebhookMessage {
  return {
    kind: 'push',
    host: 'github',
    repository: REPOSITORY,
    branch: 'main',
    before,
    after,
    pushedBy: 'github:saanvi',
    deliveryId: 'delivery-push',
  };
}

function pullRequestMessage(headSha: string, baseSha?: string): WebhookMessage {
  return {
    kind: 'pull-request',
    host: 'gitlab',
    repository: REPOSITORY,
    number: 42,
    sourceBranch: 'web-1.4.3',
    targetBranch: 'main',
    headSha,
    ...(baseSha ? { baseSha } : {}),
    deliveryId: 'delivery-pr',
  };
}

describe('webhook worker', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function withReporter() {
    const reporter = new RecordingReporter();
    harness = await createHarness({ deps: { planReporter: reporter } });
    return { harness, reporter };
  }

  it('reconciles a pushed commit at the head it reads, named as the pusher', async () => {
    // Prepare
    const { harness } = await withReporter();
    const before = await harness.bootstrap();
    const after = await harness.bumpImage('1.4.3');

    // Act
    const response = await createWebhookWorker(harness.deps)(sqsEvent(pushMessage(before, after)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    const finished = harness.logger.lines.find((line) => line.message === 'reconcile finished');
    expect(finished?.attributes).toMatchObject({ trigger: 'push', host: 'github', commitId: after, status: 'applied' });
  });

  it('plans a pull request at its source branch head, reads the base when the host did not name it, applies nothing', async () => {
    // Prepare
    const { harness, reporter } = await withReporter();
    const base = await harness.bootstrap();
    await harness.repo.branch('web-1.4.3');
    await harness.repo.checkout('web-1.4.3');
    const older = await harness.repo.commit(
      { 'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3') },
      'web 1.4.3',
    );
    const newest = await harness.repo.commit(
      { 'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3').replace('desiredCount: 3', 'desiredCount: 4') },
      'web: four tasks',
    );
    await harness.repo.checkout('main');

    // Act: a late message naming the older head
    const response = await createWebhookWorker(harness.deps)(sqsEvent(pullRequestMessage(older)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(reporter.reports).toHaveLength(1);
    const report = reporter.reports[0]!;
    expect(report).toMatchObject({ pullRequestId: '42', headCommitId: newest, baseCommitId: base, failed: false });
    expect(report.summary).toMatchObject({ update: 1 });
    expect(report.markdown).toContain('| `/spec/desiredCount` | `3` | `4` |');
    expect(report.markdown).toContain('Pull request 42: `web-1.4.3` → `main`');
    expect(writeCount(harness.simulator)).toBe(0);
  });

  it('fails the report of a pull request whose files do not validate, with each finding at its file and line', async () => {
    // Prepare
    const { harness, reporter } = await withReporter();
    const base = await harness.bootstrap();
    await harness.repo.branch('web-1.4.3');
    await harness.repo.checkout('web-1.4.3');
    const broken = await harness.repo.commit(
      { 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsService\nmetadata: { name: web }\n' },
      'break web',
    );
    await harness.repo.checkout('main');

    // Act
    await createWebhookWorker(harness.deps)(sqsEvent(pullRequestMessage(broken, base)));

    // Assess
    const report = reporter.reports[0];
    expect(report).toMatchObject({ headCommitId: broken, baseCommitId: base, failed: true });
    expect(report?.summary).toBeUndefined();
    expect(report?.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'error', file: 'services/web.yaml', line: 3 }),
    );
    expect(harness.simulator.calls).toEqual({});
  });

  it('hands a retryable failure back to SQS for that message only; drops what cannot be read or is not tracked', async () => {
    // Prepare
    const { harness, reporter } = await withReporter();
    const base = await harness.bootstrap();
    await harness.repo.branch('web-1.4.3');
    reporter.failWith = new RetryableError('the host is rate limiting');
    const elsewhere = { ...pullRequestMessage(base, base), repository: 'acme/other' };

    // Act
    const response = await createWebhookWorker(harness.deps)(
      sqsEvent(pullRequestMessage(base, base), '{"kind":"push"', elsewhere),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-0' }] });
    const messages = harness.logger.lines.map((line) => line.message);
    expect(messages).toContain('webhook message ignored; not retried: it cannot be read');
    expect(messages).toContain('webhook message ignored: not for the tracked branch');
  });

  it('does not retry a pull request whose source branch is gone', async () => {
    // Prepare
    const { harness, reporter } = await withReporter();
    const base = await harness.bootstrap();

    // Act
    const response = await createWebhookWorker(harness.deps)(sqsEvent(pullRequestMessage(base, base)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(reporter.reports).toEqual([]);
    expect(harness.logger.lines.map((line) => line.message)).toContain(
      'webhook message failed; not retried: retrying cannot change this',
    );
  });
});

describe('host wiring', () => {
  const secret = () => async () => 'unused';
  const codeCommit = {} as never;

  it('builds the adapters of the source the environment names', () => {
    // Act
    const github = hostAdapters(
      testEnvironment({
        source: 'github',
        repository: 'acme/platform-config',
        github: {
          owner: 'acme',
          repo: 'platform-config',
          appId: 123456,
          privateKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf',
        },
      }),
      { codeCommit, secret },
    );
    const gitlab = hostAdapters(
      testEnvironment({
        source: 'gitlab',
        repository: 'platform/team/platform-config',
        gitlab: {
          project: 'platform/team/platform-config',
          baseUrl: 'https://gitlab.example.com',
          tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf',
        },
      }),
      { codeCommit, secret },
    );
    const codecommit = hostAdapters(testEnvironment(), { codeCommit, secret });

    // Assess
    expect(github.source).toBeInstanceOf(GitHubGitSource);
    expect(github.proposer).toBeInstanceOf(GitHubProposer);
    expect(github.planReporter).toBeInstanceOf(GitHubPlanReporter);
    expect(gitlab.source).toBeInstanceOf(GitLabGitSource);
    expect(gitlab.planReporter).toBeInstanceOf(GitLabPlanReporter);
    expect(codecommit.source).toBeInstanceOf(CodeCommitGitSource);
    expect(codecommit.planReporter).toBeInstanceOf(CodeCommitPlanReporter);
  });

  it('refuses a GitHub or GitLab source without its settings', () => {
    // Assess
    expect(() => hostAdapters(testEnvironment({ source: 'github' }), { codeCommit, secret })).toThrow(
      /GitHub App settings are missing/,
    );
    expect(() => hostAdapters(testEnvironment({ source: 'gitlab' }), { codeCommit, secret })).toThrow(
      /GitLab settings are missing/,
    );
  });
});
