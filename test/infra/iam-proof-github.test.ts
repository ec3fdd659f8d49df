/** IAM proven offline for a GitHub deployment (ARCHITECTURE invariant 13): signed `push` and `pull_request` webhooks
 * from the fake GitHub go through the webhook receiver as production wires it (its secret, its delivery claims in the
 * lock table, its SendMessage to the worker's queue) and through the webhook worker (the App key, the push run and
 * the pull request's plan); every AWS call is recorded as the function that makes it and decided against the
 * synthesized policies. Each must be allowed; the same calls aimed outside (another secret, a lock-table item that is
 * not a delivery, another queue, any CodeCommit call, the other function's secret) must be denied. The GitHub REST
 * calls go to 127.0.0.1 and are not AWS calls. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FunctionDependencies } from '../../functions/dependencies.ts';
import { hostAdapters } from '../../functions/hosts.ts';
import { runAndAnnounce } from '../../functions/run.ts';
import { SecretCache } from '../../functions/secrets.ts';
import { createWebhookHandler, productionReceiverOptions } from '../../functions/webhook.ts';
import { createWebhookWorker } from '../../functions/webhook-worker.ts';
import { type FakeGitHub, startGitHubServer } from '../../shared/sim/github-server.ts';
import {
  type GitHubDelivery,
  gitHubDelivery,
  openPullRequest,
  pullRequestPayload,
  pushPayload,
} from '../../shared/sim/github-webhooks.ts';
import { DynamoDbDeliveryLog } from '../../shared/triggers/webhook-deliveries.ts';
import type { WebhookMessage } from '../../shared/triggers/webhook-events.ts';
import { createHarness, type Harness, REGION } from '../functions/support.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import type { AuthorizedRequest } from '../support/iam/commands.ts';
import { ACCOUNT, deployInstallation, type Installation, PARTITION } from '../support/iam/deployment.ts';
import type { Forbidden } from '../support/iam/outside-targets.ts';
import { type Attributed, proveConfined, requestsOf } from '../support/iam/proof.ts';
import { recorder } from '../support/iam/recorder.ts';
import type { Verdict } from '../support/iam/simulate.ts';
import { checkStatements } from '../support/iam/statement-check.ts';

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

/** The example repository's targets (as in iam-proof.test.ts), its configuration on GitHub. */
const CONTEXT = {
  source: 'github',
  githubRepository: `${OWNER}/${REPO}`,
  githubAppId: String(APP_ID),
  githubAppPrivateKeySecretArn: KEY_ARN,
  webhookSecretArn: WEBHOOK_ARN,
  allowedClusters: 'prod,staging',
  stackNamePrefix: 'platform-',
  roleArnPatterns:
    'arn:aws:iam::123456789012:role/app/*,arn:aws:iam::123456789012:role/cloudformation/platform-deployer',
  readStacks: 'shared-dns',
  allowedResourceTypes: 'AWS::EC2::VPC,AWS::EC2::Subnet,AWS::EC2::SecurityGroup',
  installationId: 'demo',
  prune: 'true',
} as const;

const EXAMPLE = await readTree(EXAMPLE_REPO_DIR);
const WEB = String(EXAMPLE['services/web.yaml']);
const NETWORK_TEMPLATE = String(EXAMPLE['stacks/network.template.yaml']);

let installation: Installation;
const aliases = new Map<string, string>();
const allowed: Verdict[] = [];
const denied: Verdict[] = [];
let recordedCalls = 0;

/** Secrets Manager and SQS answered in memory, for every client of the class (the receiver builds its own). */
const secretValues = new Map<string, string>();
const queued: WebhookMessage[] = [];
const secretsManager = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);

interface World {
  readonly github: FakeGitHub;
  readonly harness: Harness;
  /** The receiver's function URL, as production wires it, on this world's lock table. */
  receive(delivery: GitHubDelivery): Promise<number>;
  /** The worker takes what was queued, as SQS hands it over, as a cold function (its App key not read yet). */
  work(): Promise<void>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.harness.cleanup();
  await world?.github.close();
  world = undefined;
});

/** The fake GitHub with the example repository, the worker's environment as deployed (on this world's tables and the
 * fake's URL), and the example deployed from main by a set-up that is nobody's call. */
async function startWorld(): Promise<World> {
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const github = await startGitHubServer({
    owner: OWNER,
    repo: REPO,
    appId: APP_ID,
    installationId: INSTALLATION_ID,
    appPublicKey: keys.publicKey,
  });
  github.state.repository.commit('main', EXAMPLE, 'platform config');
  secretValues.set(KEY_ARN, keys.privateKey);
  secretValues.set(WEBHOOK_ARN, randomBytes(20).toString('hex'));

  const harness = await createHarness();
  const { ledgerTable, lockTable } = harness.deps.environment;
  aliases.set(ledgerTable, installation.ledgerTable);
  aliases.set(lockTable, installation.lockTable);
  const deployed = installation.environment('webhook-worker');
  const environment = {
    ...deployed,
    ledgerTable,
    lockTable,
    github: { ...(deployed.github as NonNullable<typeof deployed.github>), apiUrl: github.url },
  };
  const workerDeps = (secret: (arn: string) => () => Promise<string>): FunctionDependencies => ({
    ...harness.deps,
    environment,
    ...hostAdapters(environment, { codeCommit: harness.deps.codeCommit, secret }),
  });
  await runAndAnnounce(
    workerDeps(() => async () => keys.privateKey),
    { trigger: 'manual' },
    {},
  );
  harness.simulator.advance();

  const secrets = new SecretCache(new SecretsManagerClient({ region: REGION }));
  const worker = createWebhookWorker(workerDeps((arn) => () => secrets.get(arn).read()));
  const receiver = createWebhookHandler({
    ...productionReceiverOptions(installation.variables('webhook')),
    deliveries: new DynamoDbDeliveryLog({ tableName: lockTable, client: localDynamoDb({ region: REGION }) }),
    logger: harness.logger,
  });
  world = {
    github,
    harness,
    async receive(delivery) {
      const { headers, body } = delivery;
      const event = { headers, body, requestContext: { http: { method: 'POST' } } };
      return (await recorder.as('webhook', () => receiver(event))).statusCode;
    },
    async work() {
      const Records = queued.splice(0).map((message, index) => ({
        messageId: `m-${index}`,
        body: JSON.stringify(message),
        attributes: { ApproximateReceiveCount: '1' },
      }));
      const result = await recorder.as('webhook-worker', () => worker({ Records }));
      if (result.batchItemFailures.length > 0) throw new Error('the worker failed a message');
      harness.simulator.advance();
    },
  };
  return world;
}

/** Decides `requests`, expecting each allowed; then expects them aimed outside, and `forbidden`, denied. */
async function prove(requests: readonly Attributed[], forbidden: readonly Forbidden[]): Promise<void> {
  const verdicts = await proveConfined(installation, requests, {
    installationId: CONTEXT.installationId,
    principals: ['webhook', 'webhook-worker'],
    forbidden,
  });
  allowed.push(...verdicts.allowed);
  denied.push(...verdicts.denied);
}

/** What neither GitHub function may do: any CodeCommit call, the other function's secret, the receiver any target. */
function notTheirs(requests: readonly Attributed[]): Forbidden[] {
  const repository = `arn:${PARTITION}:codecommit:${REGION}:${ACCOUNT}:${REPO}`;
  const codeCommit = ['GetBranch', 'GetFile', 'GetDifferences', 'PostCommentForPullRequest', 'CreateCommit'];
  const secret = (principal: string, arn: string): Forbidden => ({
    principal,
    request: { action: 'secretsmanager:GetSecretValue', resource: arn, context: {} },
    why: "of the other function's secret",
  });
  const receiverTargets: Forbidden[] = requests
    .filter(({ principal, request }) => principal === 'webhook-worker' && !request.action.startsWith('secretsmanager'))
    .filter(
      ({ request }) => !(request.action === 'dynamodb:PutItem' && request.resource.endsWith(installation.lockTable)),
    )
    .map(({ request }) => ({ principal: 'webhook', request, why: 'by the receiver, which touches no target' }));
  return [
    ...['webhook', 'webhook-worker'].flatMap((principal) =>
      codeCommit.map(
        (action): Forbidden => ({
          principal,
          request: { action: `codecommit:${action}`, resource: repository, context: {} } as AuthorizedRequest,
          why: 'a CodeCommit call from a GitHub deployment',
        }),
      ),
    ),
    secret('webhook', KEY_ARN),
    secret('webhook-worker', WEBHOOK_ARN),
    ...receiverTargets,
  ];
}

beforeAll(() => {
  installation = deployInstallation(CONTEXT);
  secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) => {
    const value = secretValues.get(input.SecretId ?? '');
    if (value === undefined) throw Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' });
    return { ARN: input.SecretId, SecretString: value };
  });
  sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
    queued.push(JSON.parse(input.MessageBody ?? '{}') as WebhookMessage);
    return { MessageId: `q-${queued.length}`, MD5OfMessageBody: 'md5' };
  });
}, 60_000);

afterAll(async () => {
  secretsManager.restore();
  sqs.restore();
  // Every decision, for a reviewer (as iam-proof.test.ts: IAM_PROOF_DUMP=<file>).
  if (process.env.IAM_PROOF_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.IAM_PROOF_DUMP, JSON.stringify({ allowed, denied }, null, 1));
  }
  const byPrincipal = (verdicts: readonly Verdict[]) => {
    const counts = new Map<string, number>();
    for (const verdict of verdicts) counts.set(verdict.principal, (counts.get(verdict.principal) ?? 0) + 1);
    return [...counts]
      .map(([principal, count]) => `${principal} ${count}`)
      .sort()
      .join(', ');
  };
  console.info(
    `IAM proof (GitHub): ${recordedCalls} recorded calls; ${allowed.length} distinct requests allowed ` +
      `(${byPrincipal(allowed)}); ${denied.length} requests outside the targets denied (${byPrincipal(denied)})`,
  );
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
    const secret = secretValues.get(WEBHOOK_ARN) ?? '';
    const before = model.branches.get('main') as string;
    const after = model.commit(
      'main',
      {
        'services/web.yaml': WEB.replace('web:1.4.2', 'web:1.4.3'),
        'stacks/network.template.yaml': `${NETWORK_TEMPLATE}  VpcIdOut:\n    Value: !Ref Vpc\n`,
      },
      'web 1.4.3, network output',
    );
    model.branches.set('web-scale', after);
    model.commit('web-scale', { 'services/web.yaml': WEB.replace('desiredCount: 3', 'desiredCount: 4') }, 'scale');
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
    recordedCalls += recorder.calls.length;
    const requests = requestsOf(recorder.calls, installation, aliases);
    const actionsOf = (principal: string) =>
      [...new Set(requests.filter((item) => item.principal === principal).map((item) => item.request.action))].sort();
    const secretsOf = (principal: string) => [
      ...new Set(
        requests
          .filter((item) => item.principal === principal && item.request.action === 'secretsmanager:GetSecretValue')
          .map((item) => item.request.resource),
      ),
    ];
    expect(actionsOf('webhook')).toEqual(['dynamodb:PutItem', 'secretsmanager:GetSecretValue', 'sqs:SendMessage']);
    expect(secretsOf('webhook')).toEqual([WEBHOOK_ARN]);
    expect(secretsOf('webhook-worker')).toEqual([KEY_ARN]);
    expect(actionsOf('webhook-worker')).toEqual(
      expect.arrayContaining([
        'secretsmanager:GetSecretValue',
        'ecs:DescribeServices',
        'ecs:RegisterTaskDefinition',
        'ecs:UpdateService',
        'cloudformation:DescribeStacks',
        'cloudformation:CreateChangeSet',
        'cloudformation:ExecuteChangeSet',
        'iam:PassRole',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
      ]),
    );
    expect(actionsOf('webhook-worker').filter((action) => action.startsWith('codecommit:'))).toEqual([]);
    await prove(requests, notTheirs(requests));
  }, 120_000);
});
