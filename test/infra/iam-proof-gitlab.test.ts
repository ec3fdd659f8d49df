/** IAM proven offline for a GitLab deployment (ARCHITECTURE invariant 13): a `Push Hook` and a `Merge Request Hook`
 * from the fake GitLab, with the secret token, go through the webhook receiver as production wires it (its secret,
 * its delivery claims in the lock table, its SendMessage to the worker's queue) and through the webhook worker with
 * the GitLab adapters (the project token, the push run and the merge request's plan); every AWS call is recorded as
 * the function that makes it and decided against the synthesized policies. Each must be allowed; the same calls aimed
 * outside (another secret, a lock-table item that is not a delivery, another queue, any CodeCommit call, the other
 * function's secret, the receiver touching a target) must be denied. The GitLab REST calls go to 127.0.0.1 and are
 * not AWS calls. */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type GitLabServer, startGitLabServer } from '../../shared/sim/gitlab-server.ts';
import { createHarness, type Harness } from '../functions/support.ts';
import { ACCOUNT, deployInstallation, type Installation, PARTITION, REGION } from '../support/iam/deployment.ts';
import { gitLabDelivery, gitLabMergeRequestPayload, gitLabPushPayload } from '../support/iam/gitlab-webhooks.ts';
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

const PROJECT = 'platform/team/platform-config';
const TOKEN_ARN = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/gitlab-token-MnOpQr`;
const WEBHOOK_ARN = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/webhook-GhIjKl`;

/** The example repository as a GitLab project (on gitlab.com: the worker is pointed at the fake below). */
const CONTEXT = {
  ...EXAMPLE_TARGETS,
  source: 'gitlab',
  gitlabProject: PROJECT,
  gitlabTokenSecretArn: TOKEN_ARN,
  webhookSecretArn: WEBHOOK_ARN,
} as const;

const CHANGES = await exampleChanges();

let installation: Installation;
let aws: InMemorySecretsAndQueue;
const aliases = new Map<string, string>();
const tally = new ProofTally();

interface World extends WebhookFunctions {
  readonly gitlab: GitLabServer;
  readonly harness: Harness;
}

let world: World | undefined;
afterEach(async () => {
  await world?.harness.cleanup();
  await world?.gitlab.close();
  world = undefined;
});

/** The fake GitLab with the example project and a project access token (generated here), the functions as deployed
 * with the worker's GitLab URL pointed at the fake (the deployed one must be https), and the example deployed from
 * main. */
async function startWorld(): Promise<World> {
  const gitlab = await startGitLabServer();
  const token = randomBytes(20).toString('hex');
  gitlab.state.addToken(token, 'project_77_bot_driftless');
  gitlab.state.addProject(PROJECT).commit({ branch: 'main', files: CHANGES.example, message: 'platform config' });
  aws.secretValues.set(TOKEN_ARN, token);
  aws.secretValues.set(WEBHOOK_ARN, randomBytes(20).toString('hex'));
  const harness = await createHarness();
  const functions = await webhookFunctions({
    installation,
    harness,
    aws,
    aliases,
    atHost: (deployed) => ({
      ...deployed,
      gitlab: { ...(deployed.gitlab as NonNullable<typeof deployed.gitlab>), baseUrl: gitlab.url },
    }),
  });
  world = { ...functions, gitlab, harness };
  return world;
}

beforeAll(() => {
  installation = deployInstallation(CONTEXT);
  aws = answerSecretsAndQueue();
}, 60_000);

afterAll(async () => {
  aws.restore();
  await tally.report('GitLab');
});

describe('IAM proven offline for a GitLab deployment', () => {
  it('has no statement that cannot match in the GitLab deployment', async () => {
    // Act
    const problems = await checkStatements(installation.documents);

    // Assess
    expect(problems.map(({ where, problem }) => `${where}: ${problem}`)).toEqual([]);
  });

  it('allows the receiver and the worker every call of a push and a merge request, and denies them outside', async () => {
    // Prepare: a push to main that rolls web out and updates the network stack; a merge request that scales web.
    const { gitlab, harness, receive, work } = await startWorld();
    const project = gitlab.state.projects.get(PROJECT);
    if (!project) throw new Error('the world has no project');
    const secretToken = aws.secretValues.get(WEBHOOK_ARN) ?? '';
    const author = gitlab.state.addToken(randomBytes(20).toString('hex'), 'ada-platform');
    const before = project.branches.get('main') as string;
    const after = project.commit({ branch: 'main', files: CHANGES.push, message: 'web 1.4.3, network output' });
    project.commit({ branch: 'web-scale', parent: after, files: CHANGES.scale, message: 'scale' });
    const { iid } = project.openMergeRequest({
      sourceBranch: 'web-scale',
      targetBranch: 'main',
      title: 'web: scale to 4',
      description: '',
      author,
    });
    recorder.clear();

    // Act
    const pushed = await receive(
      gitLabDelivery(
        'Push Hook',
        gitLabPushPayload(project, { branch: 'main', before, after, user: author }, gitlab.url),
        secretToken,
        gitlab.url,
      ),
    );
    await work();
    const opened = await receive(
      gitLabDelivery(
        'Merge Request Hook',
        gitLabMergeRequestPayload(project, { iid, action: 'open', user: author }, gitlab.url),
        secretToken,
        gitlab.url,
      ),
    );
    await work();

    // Assess: both deliveries ran (web rolled out, the stack changed, a plan status and note on the merge request).
    expect([pushed, opened]).toEqual([202, 202]);
    const web = harness.simulator.services().find((service) => service.serviceName === 'web');
    expect(web?.taskDefinition).toMatch(/web:\d+$/);
    expect(project.statuses).toEqual([
      expect.objectContaining({ sha: project.branches.get('web-scale'), name: 'driftless plan', status: 'success' }),
    ]);
    expect(project.mergeRequests[0]?.notes.filter((note) => !note.system)).toHaveLength(1);
    tally.recordedCalls += recorder.calls.length;
    const requests = requestsOf(recorder.calls, installation, aliases);
    expect(actionsOf(requests, RECEIVER)).toEqual([
      'dynamodb:PutItem',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    expect(secretsReadBy(requests, RECEIVER)).toEqual([WEBHOOK_ARN]);
    expect(secretsReadBy(requests, WORKER)).toEqual([TOKEN_ARN]);
    expect(actionsOf(requests, WORKER)).toEqual(expect.arrayContaining(PUSH_RUN_ACTIONS));
    expect(actionsOf(requests, WORKER).filter((action) => action.startsWith('codecommit:'))).toEqual([]);
    const forbidden = notTheirs(installation, requests, {
      host: 'GitLab',
      repositoryName: 'platform-config',
      receiverSecretArn: WEBHOOK_ARN,
      workerSecretArn: TOKEN_ARN,
    });
    await tally.prove(installation, CONTEXT.installationId, requests, forbidden);
  }, 120_000);
});
