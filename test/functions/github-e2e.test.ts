/** GitHub end to end: a fake GitHub on 127.0.0.1 holding the example repository sends signed `push`, `pull_request`
 * and `check_run` webhooks; the real receiver checks and remembers them (DynamoDB Local), the real worker runs them
 * through the real GitHub App authentication and adapters, against the simulator: a push rolls web out, a pull
 * request gets a check run with annotations at file:line and one plan comment, edited when the branch moves, when
 * "Re-run" is pressed on the check, and when the pull request is re-targeted onto the tracked branch. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../functions/environment.ts';
import { hostAdapters } from '../../functions/hosts.ts';
import { runAndAnnounce } from '../../functions/run.ts';
import { createWebhookWorker } from '../../functions/webhook-worker.ts';
import type { FakeGitHub } from '../../shared/sim/github-server.ts';
import {
  checkRunRerequestedPayload,
  type GitHubDelivery,
  gitHubDelivery,
  openPullRequest,
  pullRequestPayload,
  pushPayload,
} from '../../shared/sim/github-webhooks.ts';
import { createWebhookReceiver } from '../../shared/triggers/webhook.ts';
import { DynamoDbDeliveryLog } from '../../shared/triggers/webhook-deliveries.ts';
import type { WebhookMessage } from '../../shared/triggers/webhook-events.ts';
import { PLAN_COMMENT_MARKER } from '../../shared/writeback/plan-reporter.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { startAppGitHub } from '../support/github.ts';
import { createHarness, type Harness, REGION, testEnvironment, writeCount } from './support.ts';

const OWNER = 'octo-org';
const REPO = 'platform-config';
const FULL_NAME = `${OWNER}/${REPO}`;
const APP_ID = 318_004;
const INSTALLATION_ID = 52_017_733;
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/github-app-key-AbCdEf';
const SENDER = { login: 'ada-platform', name: 'Ada Platform', email: 'ada@example.com' };

const EXAMPLE = await readTree(EXAMPLE_REPO_DIR);
const WEB = String(EXAMPLE['services/web.yaml']);

interface World {
  readonly github: FakeGitHub;
  readonly harness: Harness;
  readonly receive: ReturnType<typeof createWebhookReceiver>;
  readonly queued: WebhookMessage[];
  readonly secret: string;
  /** Runs what was queued through the worker, as SQS would hand it over, and empties the queue. */
  work(): Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.harness.cleanup();
  await world?.github.close();
  world = undefined;
});

/** The fake GitHub with the example repository on main and an App key made here, the functions wired to it as
 * production wires them (hostAdapters), and the example deployed from main. */
async function startWorld(): Promise<World> {
  const { github, privateKey } = await startAppGitHub({
    owner: OWNER,
    repo: REPO,
    appId: APP_ID,
    installationId: INSTALLATION_ID,
    files: EXAMPLE,
  });
  const environment = {
    source: 'github' as const,
    repository: FULL_NAME,
    github: { owner: OWNER, repo: REPO, appId: APP_ID, privateKeySecretArn: KEY_ARN, apiUrl: github.url },
  };
  const adapters = hostAdapters(testEnvironment(environment), {
    codeCommit: {} as never,
    secret: (arn) => async () => (arn === KEY_ARN ? privateKey : ''),
  });
  const harness = await createHarness({ environment, deps: adapters });
  const secret = randomBytes(20).toString('hex');
  const queued: WebhookMessage[] = [];
  const receive = createWebhookReceiver({
    host: 'github',
    tracked: { repository: FULL_NAME, branch: 'main', appId: APP_ID },
    secret: { read: async () => secret },
    deliveries: new DynamoDbDeliveryLog({
      tableName: harness.deps.environment.lockTable,
      client: localDynamoDb({ region: REGION }),
    }),
    enqueue: async (message) => {
      queued.push(message);
    },
    logger: harness.logger,
  });
  const worker = createWebhookWorker(harness.deps);
  // Deployed from main first, as the first sweep after install does.
  await runAndAnnounce(harness.deps, { trigger: 'manual' }, {});
  harness.simulator.advance();
  harness.simulator.resetCalls();
  world = {
    github,
    harness,
    receive,
    queued,
    secret,
    work: () =>
      worker({
        Records: queued.splice(0).map((message, index) => ({
          messageId: `m-${index}`,
          body: JSON.stringify(message),
          attributes: { ApproximateReceiveCount: '1' },
        })),
      }),
  };
  return world;
}

function webImage(harness: Harness): string | undefined {
  const web = harness.simulator.services().find((service) => service.serviceName === 'web');
  const revision = harness.simulator
    .taskDefinitions()
    .find((candidate) => candidate.taskDefinition.taskDefinitionArn === web?.taskDefinition);
  return revision?.taskDefinition.containerDefinitions?.[0]?.image?.split(':').at(-1);
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

async function deliver(receive: World['receive'], delivery: GitHubDelivery) {
  const response = await receive(delivery);
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('GitHub end to end', () => {
  it('rolls out a push that arrives as a signed webhook, once, and refuses a tampered one', async () => {
    // Prepare
    const { github, harness, receive, queued, secret, work } = await startWorld();
    const model = github.state.repository;
    const before = model.branches.get('main')!;
    const after = model.commit('main', { 'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3') }, 'web 1.4.3');
    const delivery = gitHubDelivery(
      'push',
      pushPayload(github.state, { branch: 'main', before, after, sender: SENDER }),
      secret,
      { appId: APP_ID },
    );
    const tampered = { ...delivery, body: delivery.body.replace('web 1.4.3', 'web 9.9.9') };
    const requestsBefore = github.state.requests.length;

    // Act
    const first = await deliver(receive, delivery);
    const repeated = await deliver(receive, delivery);
    const forged = await deliver(receive, { ...tampered, headers: { ...tampered.headers, 'x-github-delivery': 'x1' } });
    const queuedMessages = [...queued];
    const result = await work();
    harness.simulator.advance();

    // Assess: one message queued for the delivery; the repeat acknowledged, the forgery refused.
    expect(first).toEqual({
      status: 202,
      body: { accepted: true, kind: 'push', deliveryId: delivery.deliveryId },
    });
    expect(repeated).toEqual({ status: 200, body: { duplicate: true, deliveryId: delivery.deliveryId } });
    expect(forged.status).toBe(401);
    expect(queuedMessages).toEqual([
      expect.objectContaining({ kind: 'push', repository: FULL_NAME, before, after, pushedBy: 'github:ada-platform' }),
    ]);
    // Assess: the worker rolled web out (one UpdateService), and the ledger has the run with who pushed.
    expect(result).toEqual({ batchItemFailures: [] });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    expect(webImage(harness)).toBe('1.4.3');
    const history = await harness.ledger.resourceHistory('EcsService:prod/web');
    expect(history).toContainEqual(
      expect.objectContaining({
        kind: 'outcome',
        action: 'UpdateService',
        result: 'succeeded',
        commitId: after,
        repository: FULL_NAME,
        trigger: 'push',
        pushedBy: 'github:ada-platform',
      }),
    );
    // Assess: one installation token (minted by the App's JWT for the first run) served both runs; the push read the
    // head, the commit, the compare, the tree and only the one blob that changed.
    const calls = github.state.requests.slice(requestsBefore).map((request) => `${request.method} ${request.path}`);
    expect(github.state.accessTokens.size).toBe(1);
    expect(calls.filter((call) => call.includes('/app/') || call.endsWith('/installation'))).toEqual([]);
    expect(calls).toContain(`GET /repos/${FULL_NAME}/compare/${before}...${after}`);
    expect(calls.filter((call) => call.includes('/git/blobs/'))).toHaveLength(1);
    expect(calls.length).toBeLessThanOrEqual(8);
  });

  it('checks a pull request: a failing check run annotated at the broken line, then success on the fix, one comment', async () => {
    // Prepare: a branch whose web.yaml misspells a field, and a pull request of it into main.
    const { github, harness, receive, secret, work } = await startWorld();
    const model = github.state.repository;
    model.branches.set('web-scale', model.branches.get('main')!);
    const broken = WEB.replace('desiredCount: 3', 'desiredCont: 3');
    const brokenHead = model.commit('web-scale', { 'services/web.yaml': broken }, 'web: scale (typo)');
    const number = openPullRequest(github.state, 'web-scale', 'main', 'web: scale to 4');
    const opened = gitHubDelivery(
      'pull_request',
      pullRequestPayload(github.state, { action: 'opened', number, sender: SENDER }),
      secret,
    );

    // Act
    const openedAnswer = await deliver(receive, opened);
    const openedResult = await work();

    // Assess: a failing "driftless plan" check run on the head, annotated at the misspelt field's line.
    expect(openedAnswer.status).toBe(202);
    expect(openedResult).toEqual({ batchItemFailures: [] });
    const failing = model.checkRuns.filter((run) => run.headSha === brokenHead);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ name: 'driftless plan', status: 'completed', conclusion: 'failure' });
    expect(failing[0]?.annotations).toContainEqual(
      expect.objectContaining({
        path: 'services/web.yaml',
        start_line: lineOf(broken, 'desiredCont'),
        annotation_level: 'failure',
      }),
    );
    const comments = () => model.comments.filter((comment) => comment.issueNumber === number);
    expect(comments()).toHaveLength(1);
    const firstComment = comments()[0]!;
    expect(firstComment.body.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(firstComment.body).toContain('services/web.yaml');
    const firstBody = firstComment.body;

    // Act: the fix is pushed to the branch; GitHub sends `synchronize`.
    const fixedHead = model.commit(
      'web-scale',
      { 'services/web.yaml': WEB.replace('desiredCount: 3', 'desiredCount: 4') },
      'web: scale (fixed)',
    );
    const synchronize = gitHubDelivery(
      'pull_request',
      pullRequestPayload(github.state, { action: 'synchronize', number, sender: SENDER, before: brokenHead }),
      secret,
    );
    expect((await deliver(receive, synchronize)).status).toBe(202);
    await work();

    // Assess: a new, passing check run on the new head; the same comment, edited; nothing applied.
    const passing = model.checkRuns.filter((run) => run.headSha === fixedHead);
    expect(passing).toHaveLength(1);
    expect(passing[0]).toMatchObject({ name: 'driftless plan', conclusion: 'success', annotations: [] });
    expect(passing[0]?.id).not.toBe(failing[0]?.id);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.id).toBe(firstComment.id);
    expect(comments()[0]?.body).not.toBe(firstBody);
    expect(comments()[0]?.body).toContain('| `/spec/desiredCount` | `3` | `4` |');
    expect(writeCount(harness.simulator)).toBe(0);
  });
});

describe('GitHub end to end: planning again', () => {
  it('answers "Re-run" on the plan check with a new check run on the head, the comment edited, nothing applied', async () => {
    // Prepare: a pull request planned once (a "driftless plan" check run and the plan comment).
    const { github, harness, receive, secret, work } = await startWorld();
    const model = github.state.repository;
    model.branches.set('web-scale', model.branches.get('main')!);
    const head = model.commit(
      'web-scale',
      { 'services/web.yaml': WEB.replace('desiredCount: 3', 'desiredCount: 4') },
      'web: scale to 4',
    );
    const number = openPullRequest(github.state, 'web-scale', 'main', 'web: scale to 4');
    await deliver(
      receive,
      gitHubDelivery(
        'pull_request',
        pullRequestPayload(github.state, { action: 'opened', number, sender: SENDER }),
        secret,
      ),
    );
    await work();
    const first = model.checkRuns.find((run) => run.headSha === head)!;
    const comment = model.comments.find((candidate) => candidate.issueNumber === number)!;
    const requestsBefore = github.state.requests.length;
    const rerun = gitHubDelivery(
      'check_run',
      checkRunRerequestedPayload(github.state, { checkRunId: first.id, appId: APP_ID, sender: SENDER }),
      secret,
      { appId: APP_ID },
    );

    // Act: someone presses "Re-run" on it; GitHub sends check_run rerequested to the App.
    const answer = await deliver(receive, rerun);
    const result = await work();

    // Assess: queued as the pull request's plan; a second "driftless plan" run on the same head, the one comment
    // edited in place, nothing written to the account.
    expect(answer).toEqual({
      status: 202,
      body: { accepted: true, kind: 'pull-request', deliveryId: rerun.deliveryId },
    });
    expect(result).toEqual({ batchItemFailures: [] });
    const runs = model.checkRuns.filter((run) => run.headSha === head);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ name: 'driftless plan', status: 'completed', conclusion: 'success' });
    expect(runs[1]?.id).not.toBe(first.id);
    expect(model.comments.filter((candidate) => candidate.issueNumber === number)).toEqual([
      expect.objectContaining({ id: comment.id }),
    ]);
    expect(writeCount(harness.simulator)).toBe(0);
    // Assess: the re-run read the branch head again (the commit's files were read already by this warm worker),
    // then wrote one run and edited the comment.
    const calls = github.state.requests.slice(requestsBefore).map((request) => `${request.method} ${request.path}`);
    expect(calls).toEqual([
      `GET /repos/${FULL_NAME}/git/ref/heads/web-scale`,
      `POST /repos/${FULL_NAME}/check-runs`,
      `GET /repos/${FULL_NAME}/issues/${number}/comments`,
      `PATCH /repos/${FULL_NAME}/issues/comments/${comment.id}`,
    ]);
  });

  it('ignores "Re-run" on a check run of another name, and plans a pull request re-targeted onto main', async () => {
    // Prepare: a pull request into develop (not planned), and another App's check run on its head.
    const { github, receive, queued, secret, work } = await startWorld();
    const model = github.state.repository;
    model.branches.set('develop', model.branches.get('main')!);
    model.branches.set('web-scale', model.branches.get('main')!);
    const head = model.commit(
      'web-scale',
      { 'services/web.yaml': WEB.replace('desiredCount: 3', 'desiredCount: 4') },
      'web: scale to 4',
    );
    const number = openPullRequest(github.state, 'web-scale', 'develop', 'web: scale to 4');
    const opened = pullRequestPayload(github.state, { action: 'opened', number, sender: SENDER });
    model.checkRuns.push({
      id: model.id(),
      name: 'ci / build',
      headSha: head,
      status: 'completed',
      conclusion: 'success',
      output: { title: null, summary: null, text: null },
      annotations: [],
      writes: 1,
    });
    const ciRun = model.checkRuns.at(-1)!;
    const rerunCi = checkRunRerequestedPayload(github.state, { checkRunId: ciRun.id, appId: APP_ID, sender: SENDER });

    // Act: opened into develop, "Re-run" of the other check, then the base changed to main (`edited`).
    const intoDevelop = await deliver(receive, gitHubDelivery('pull_request', opened, secret));
    const ciRerun = await deliver(receive, gitHubDelivery('check_run', rerunCi, secret));
    const index = model.pulls.findIndex((pull) => pull.number === number);
    model.pulls[index] = { ...model.pulls[index]!, base: 'main' };
    const retargeted = gitHubDelivery(
      'pull_request',
      pullRequestPayload(github.state, { action: 'edited', number, sender: SENDER, previousBase: 'develop' }),
      secret,
    );
    const retargetedAnswer = await deliver(receive, retargeted);
    const queuedMessages = [...queued];
    await work();

    // Assess: only the re-targeted pull request was queued, and planned: one check run on its head, one comment.
    expect(intoDevelop.body).toMatchObject({ ignored: true, reason: expect.stringMatching(/refs\/heads\/develop/) });
    expect(ciRerun.body).toEqual({ ignored: true, reason: "check run ci / build is not driftless's" });
    expect(retargetedAnswer.status).toBe(202);
    expect(queuedMessages).toEqual([
      expect.objectContaining({ kind: 'pull-request', number, sourceBranch: 'web-scale', targetBranch: 'main' }),
    ]);
    expect(model.checkRuns.filter((run) => run.name === 'driftless plan')).toEqual([
      expect.objectContaining({ headSha: head, conclusion: 'success' }),
    ]);
    expect(model.comments.filter((comment) => comment.issueNumber === number)).toHaveLength(1);
  });
});

describe('the GitHub API URL setting', () => {
  const GITHUB_ENV = {
    DRIFTLESS_REPOSITORY: FULL_NAME,
    DRIFTLESS_BRANCH: 'main',
    DRIFTLESS_INSTALLATION_ID: 'default',
    DRIFTLESS_LEDGER_TABLE: 'driftless-ledger',
    DRIFTLESS_LOCK_TABLE: 'driftless-lock',
    DRIFTLESS_ALLOWED_CLUSTERS: 'prod',
    DRIFTLESS_SOURCE: 'github',
    DRIFTLESS_GITHUB_APP_ID: String(APP_ID),
    DRIFTLESS_GITHUB_PRIVATE_KEY_SECRET_ARN: KEY_ARN,
  };

  it('is api.github.com unless set; a GitHub Enterprise Server URL is read without its trailing slash', () => {
    // Act
    const unset = readEnvironment(GITHUB_ENV);
    const enterprise = readEnvironment({ ...GITHUB_ENV, DRIFTLESS_GITHUB_API_URL: 'https://ghe.example.com/api/v3/' });

    // Assess
    expect(unset.github?.apiUrl).toBeUndefined();
    expect(enterprise.github).toMatchObject({ owner: OWNER, repo: REPO, apiUrl: 'https://ghe.example.com/api/v3' });
    expect(() => readEnvironment({ ...GITHUB_ENV, DRIFTLESS_GITHUB_API_URL: 'http://ghe.example.com' })).toThrow(
      /DRIFTLESS_GITHUB_API_URL: an https URL/,
    );
  });
});
