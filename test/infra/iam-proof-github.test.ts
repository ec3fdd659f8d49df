/** IAM proven offline for a GitHub deployment (ARCHITECTURE invariant 13): signed `push` and `pull_request` webhooks
 * from the fake GitHub go through the webhook receiver as production wires it (its secret, its delivery claims in the
 * lock table, its SendMessage to the worker's queue) and through the webhook worker (the App key, the push run and
 * the pull request's plan); every AWS call is recorded as the function that makes it and decided against the
 * synthesized policies. Each must be allowed; the same calls aimed outside (another secret, a lock-table item that is
 * not a delivery, another queue, any CodeCommit call, the other function's secret) must be denied. The GitHub REST
 * calls go to 127.0.0.1 and are not AWS calls. */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeGitHub } from '../../shared/sim/github-server.ts';
import { gitHubDelivery, openPullRequest, pullRequestPayload, pushPayload } from '../../shared/sim/github-webhooks.ts';
import { createHarness, type Harness } from '../functions/support.ts';
import { startAppGitHub } from '../support/github.ts';
import { ACCOUNT, deployInstallation, type Installation, PARTITION, REGION } from '../support/iam/deployment.ts';
import { requestsOf } from '../support/iam/proof.ts';
import { recorder } from '../support/iam/recorder.ts';
import { checkStatements } from '../support/iam/statement-check.ts';
import {
  actionsOf,
  answerSecretsAndQueue,
  EXAMPLE_TARGETS,
  exampleChanges,
  type InMemorySecretsAndQueue,
  notTheirs,
  ProofTally,
  PUSH_RUN_ACTIONS,
  RECEIVER,
  secretsReadBy,
  type WebhookFunctions,
  WORKER,
  webhookFunctions,
} from '../support/iam/webhook-functions.ts';

// Every SDK client records its calls (the receiver's SQS and Secrets Manager clients included).
vi.mock('@aws-sdk/client-cloudformation', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-codecommit', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-dynamodb', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-ecs', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-eventbridge', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-secrets-manager', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-sqs', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);

const OWNER = 'octo-org';
const REPO = 'platform-config';
const APP_ID = 318_004;
const INSTALLATION_ID = 52_017_733;
const KEY_ARN = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/github-app-key-AbCdEf`;
const WEBHOOK_ARN = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/webhook-GhIjKl`;
const SENDER = { login: 'ada-platform', name: 'Ada Platform', email: 'ada@example.com' };

/** The example repository on GitHub. */
const CONTEXT = {
  ...EXAMPLE_TARGETS,
  source: 'github',
  githubRepository: `${OWNER}/${REPO}`,
  githubAppId: String(APP_ID),
  githubAppPrivateKeySecretArn: KEY_ARN,
  webhookSecretArn: WEBHOOK_ARN,
} as const;

const CHANGES = await exampleChanges();

let installation: Installation;
let aws: InMemorySecretsAndQueue;
const aliases = new Map<string, string>();
const tally = new ProofTally();

interface World extends WebhookFunctions {
  readonly github: FakeGitHub;
  readonly harness: Harness;
}

let world: World | undefined;
afterEach(async () => {
  await world?.harness.cleanup();
  await world?.github.close();
  world = undefined;
});

/** The fake GitHub with the example repository and the App's key pair (generated here), the functions as deployed
 * with the worker pointed at the fake's URL, and the example deployed from main. */
async function startWorld(): Promise<World> {
  const { github, privateKey } = await startAppGitHub({
    owner: OWNER,
    repo: REPO,
    appId: APP_ID,
    installationId: INSTALLATION_ID,
    files: CHANGES.example,
  });
  aws.secretValues.set(KEY_ARN, privateKey);
  aws.secretValues.set(WEBHOOK_ARN, randomBytes(20).toString('hex'));
  const harness = await createHarness();
  const functions = await webhookFunctions({
    installation,
    harness,
    aws,
    aliases,
    atHost: (deployed) => ({
      ...deployed,
      github: { ...(deployed.github as NonNullable<typeof deployed.github>), apiUrl: github.url },
    }),
  });
  world = { ...functions, github, harness };
  return world;
}

beforeAll(() => {
  installation = deployInstallation(CONTEXT);
  aws = answerSecretsAndQueue();
}, 60_000);

afterAll(async () => {
  aws.restore();
  await tally.report('GitHub');
});

describe('IAM proven offline for a GitHub deployment', () => {
  it('has no statement that cannot match in the GitHub deployment', async () => {
    // Act
    const problems = await checkStatements(installation.documents);

    // Assess
    expect(problems.map(({ where, problem }) => `${where}: ${problem}`)).toEqual([]);
  });

  it('allows the receiver and the worker every call of a push and a pull request, and denies them outside', async () => {
    // Prepare: a push to main that rolls web out and updates the network stack; a pull request that scales web.
    const { github, harness, receive, work } = await startWorld();
    const model = github.state.repository;
    const secret = aws.secretValues.get(WEBHOOK_ARN) ?? '';
    const before = model.branches.get('main') as string;
    const after = model.commit('main', CHANGES.push, 'web 1.4.3, network output');
    model.branches.set('web-scale', after);
    model.commit('web-scale', CHANGES.scale, 'scale');
    const number = openPullRequest(github.state, 'web-scale', 'main', 'web: scale to 4');
    recorder.clear();

    // Act
    const pushed = await receive(
      gitHubDelivery('push', pushPayload(github.state, { branch: 'main', before, after, sender: SENDER }), secret),
    );
    await work();
    const opened = await receive(
      gitHubDelivery(
        'pull_request',
        pullRequestPayload(github.state, { action: 'opened', number, sender: SENDER }),
        secret,
      ),
    );
    await work();

    // Assess: both deliveries ran (web rolled out, the stack changed, a check run on the pull request).
    expect([pushed, opened]).toEqual([202, 202]);
    const web = harness.simulator.services().find((service) => service.serviceName === 'web');
    expect(web?.taskDefinition).toMatch(/web:\d+$/);
    expect(model.checkRuns).toEqual([expect.objectContaining({ name: 'driftless plan', conclusion: 'success' })]);
    tally.recordedCalls += recorder.calls.length;
    const requests = requestsOf(recorder.calls, installation, aliases);
    expect(actionsOf(requests, RECEIVER)).toEqual([
      'dynamodb:PutItem',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    expect(secretsReadBy(requests, RECEIVER)).toEqual([WEBHOOK_ARN]);
    expect(secretsReadBy(requests, WORKER)).toEqual([KEY_ARN]);
    expect(actionsOf(requests, WORKER)).toEqual(expect.arrayContaining(PUSH_RUN_ACTIONS));
    expect(actionsOf(requests, WORKER).filter((action) => action.startsWith('codecommit:'))).toEqual([]);
    const forbidden = notTheirs(installation, requests, {
      host: 'GitHub',
      repositoryName: REPO,
      receiverSecretArn: WEBHOOK_ARN,
      workerSecretArn: KEY_ARN,
    });
    await tally.prove(installation, CONTEXT.installationId, requests, forbidden);
  }, 120_000);
});
