/** The demo's GitHub scene: a fake GitHub on 127.0.0.1 holding the demo repository sends signed webhooks to the real
 * receiver, and the real webhook worker, GitHub App authentication and GitHub adapters roll a push out on the
 * simulator and report a pull request's plan as a check run and a comment. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { FunctionEnvironment } from '../../functions/environment.ts';
import { hostAdapters } from '../../functions/hosts.ts';
import { createWebhookWorker } from '../../functions/webhook-worker.ts';
import type { AuditLedger } from '../../shared/audit/ledger.ts';
import type { RunLock } from '../../shared/reconcile/types.ts';
import { startGitHubServer } from '../../shared/sim/github-server.ts';
import {
  type GitHubDelivery,
  gitHubDelivery,
  openPullRequest,
  pullRequestPayload,
  pushPayload,
} from '../../shared/sim/github-webhooks.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import type { GitSource } from '../../shared/source/git-source.ts';
import { createWebhookReceiver } from '../../shared/triggers/webhook.ts';
import { DynamoDbDeliveryLog } from '../../shared/triggers/webhook-deliveries.ts';
import type { WebhookMessage } from '../../shared/triggers/webhook-events.ts';
import { CHECK_RUN_NAME } from '../../shared/writeback/github-plan-reporter.ts';
import { PLAN_COMMENT_MARKER } from '../../shared/writeback/plan-reporter.ts';

const OWNER = 'octo-org';
const REPO = 'platform-config';
const APP_ID = 318_004;
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/github-app-key-AbCdEf';
const SENDER = { login: 'ada-platform', name: 'Ada Platform', email: 'ada@example.com' };
const QUIET = { info: () => {}, warn: () => {}, error: () => {} };

/** What the scene borrows from the demo: its narration, simulator, tables, event bus and clock. */
export interface GitHubSceneWorld {
  readonly say: (text: string) => void;
  readonly simulator: AwsSimulator;
  /** The demo's repository: its main, as it is now, becomes the fake GitHub's main. */
  readonly source: GitSource;
  readonly ledger: AuditLedger;
  readonly lock: RunLock;
  readonly dynamoDb: DynamoDBClient;
  readonly ledgerTable: string;
  readonly lockTable: string;
  readonly installationId: string;
  readonly eventBridge: EventBridgeClient;
  readonly now: () => number;
}

/** Runs the scene; true when it went as narrated. */
export async function gitHubScene(world: GitHubSceneWorld): Promise<boolean> {
  const { say, simulator } = world;
  // Made for this run and forgotten after it: the App's key pair and the webhook secret.
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const webhookSecret = randomBytes(20).toString('hex');
  const github = await startGitHubServer({ owner: OWNER, repo: REPO, appId: APP_ID, appPublicKey: keys.publicKey });
  try {
    const model = github.state.repository;
    const files = await filesOfMain(world.source);
    const seeded = model.commit('main', files, 'platform config, as the demo left it');
    say(`  a fake GitHub at ${github.url} holds ${OWNER}/${REPO}; main is the demo repository (${short(seeded)})`);

    const environment = gitHubEnvironment(world, github.url);
    // Never called (the plan goes to GitHub); a closed loopback port, so nothing could leave the machine.
    const codeCommit = new CodeCommitClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const adapters = hostAdapters(environment, { codeCommit, secret: () => async () => keys.privateKey });
    const queued: WebhookMessage[] = [];
    const receive = createWebhookReceiver({
      host: 'github',
      tracked: { repository: environment.repository, branch: environment.branch },
      secret: { read: async () => webhookSecret },
      deliveries: new DynamoDbDeliveryLog({ tableName: world.lockTable, client: world.dynamoDb }),
      enqueue: async (message) => {
        queued.push(message);
      },
      logger: QUIET,
    });
    const worker = createWebhookWorker({
      ...adapters,
      environment,
      ecs: simulator.ecs,
      cloudFormation: simulator.cloudFormation,
      codeCommit,
      eventBridge: world.eventBridge,
      ledger: world.ledger,
      lock: world.lock,
      logger: QUIET,
      applyOptions: { changeSetPollMs: 20, stackStablePollMs: 20 },
      now: world.now,
    });
    // The queue between them, as SQS hands the worker its messages.
    const work = () =>
      worker({
        Records: queued
          .splice(0)
          .map((message, index) => ({ messageId: `demo-${index}`, body: JSON.stringify(message) })),
      });
    const deliver = async (delivery: GitHubDelivery) => (await receive(delivery)).statusCode;

    say('  a signed GitHub push webhook arrives:');
    const web = files['services/web.yaml'] ?? '';
    const imageBefore = webImage(simulator);
    const pushed = model.commit(
      'main',
      { 'services/web.yaml': web.replace(/web:\d+\.\d+\.\d+/, 'web:1.4.3') },
      'web: image 1.4.3',
      SENDER,
    );
    const push = gitHubDelivery(
      'push',
      pushPayload(github.state, { branch: 'main', before: seeded, after: pushed, sender: SENDER }),
      webhookSecret,
      { appId: APP_ID },
    );
    const accepted = await deliver(push);
    say(
      `    delivery ${push.deliveryId}: X-Hub-Signature-256 ${push.headers['x-hub-signature-256']?.slice(0, 19)}… ` +
        `checked against the webhook secret → ${accepted}, push of ${short(pushed)} queued`,
    );
    const replayed = await deliver(push);
    say(
      `    the same delivery again → ${replayed}, acknowledged and not queued again (the queue holds ${queued.length} message)`,
    );
    const forged = await deliver({ ...push, body: push.body.replace('web: image 1.4.3', 'web: image 6.6.6') });
    say(`    its body altered, the signature kept → ${forged}, refused before the body is read`);

    say('  the service rolls out: the webhook worker runs the push, reading the commit from GitHub as the App');
    const pushFailures = (await work()).batchItemFailures.length;
    simulator.advance();
    const imageAfter = webImage(simulator);
    say(`    web's image in the simulator: ${imageBefore} → ${imageAfter}, pushed by github:${SENDER.login}`);

    say('  a pull request gets its check run: branch web-scale misspells desiredCount');
    model.branches.set('web-scale', pushed);
    const pushedWeb = web.replace(/web:\d+\.\d+\.\d+/, 'web:1.4.3');
    const brokenHead = model.commit(
      'web-scale',
      { 'services/web.yaml': pushedWeb.replace('desiredCount:', 'desiredCont:') },
      'web: scale',
      SENDER,
    );
    const number = openPullRequest(github.state, 'web-scale', 'main', 'web: scale');
    const opened = gitHubDelivery(
      'pull_request',
      pullRequestPayload(github.state, { action: 'opened', number, sender: SENDER }),
      webhookSecret,
      { appId: APP_ID },
    );
    const openedStatus = await deliver(opened);
    await work();
    const failing = model.checkRuns.find((run) => run.headSha === brokenHead && run.name === CHECK_RUN_NAME);
    say(
      `    pull request #${number} opened → ${openedStatus}; check run "${CHECK_RUN_NAME}" on ${short(brokenHead)}: ` +
        `${failing?.conclusion ?? '(none)'}`,
    );
    for (const annotation of failing?.annotations ?? []) {
      say(`    ${annotation.path}:${annotation.start_line}: ${annotation.message}`);
    }
    const comments = () => model.comments.filter((comment) => comment.issueNumber === number);
    // The fake edits a comment in place: its first text is kept to compare.
    const firstComment = { id: comments()[0]?.id, body: comments()[0]?.body };

    const fixedHead = model.commit(
      'web-scale',
      { 'services/web.yaml': pushedWeb.replace('desiredCount: 3', 'desiredCount: 4') },
      'web: scale (fixed)',
      SENDER,
    );
    const synchronize = gitHubDelivery(
      'pull_request',
      pullRequestPayload(github.state, { action: 'synchronize', number, sender: SENDER, before: brokenHead }),
      webhookSecret,
      { appId: APP_ID },
    );
    await deliver(synchronize);
    await work();
    const passing = model.checkRuns.find((run) => run.headSha === fixedHead && run.name === CHECK_RUN_NAME);
    const comment = comments()[0];
    const edited = comments().length === 1 && comment?.id === firstComment.id && comment?.body !== firstComment.body;
    say(
      `    the fix pushed (synchronize): check run on ${short(fixedHead)}: ${passing?.conclusion ?? '(none)'}; ` +
        `${comments().length} plan comment, ${edited ? 'edited in place' : 'not edited (!)'}`,
    );

    return (
      accepted === 202 &&
      replayed === 200 &&
      forged === 401 &&
      pushFailures === 0 &&
      imageAfter === '1.4.3' &&
      imageBefore !== imageAfter &&
      failing?.conclusion === 'failure' &&
      (failing?.annotations.some((annotation) => annotation.path === 'services/web.yaml') ?? false) &&
      passing?.conclusion === 'success' &&
      edited &&
      (comment?.body.startsWith(PLAN_COMMENT_MARKER) ?? false)
    );
  } finally {
    await github.close();
  }
}

/** The demo repository's files at the head of main, as text. */
async function filesOfMain(source: GitSource): Promise<Record<string, string>> {
  const head = await source.resolveRef('main');
  const files: Record<string, string> = {};
  for (const entry of await source.listFiles(head, '')) {
    if (entry.type === 'file')
      files[entry.path] = Buffer.from(await source.readFile(head, entry.path)).toString('utf8');
  }
  return files;
}

/** The webhook worker's environment for a GitHub App installation on the fake GitHub (DRIFTLESS_GITHUB_API_URL). */
function gitHubEnvironment(world: GitHubSceneWorld, apiUrl: string): FunctionEnvironment {
  return {
    source: 'github',
    repository: `${OWNER}/${REPO}`,
    github: { owner: OWNER, repo: REPO, appId: APP_ID, privateKeySecretArn: KEY_ARN, apiUrl },
    branch: 'main',
    pathPrefix: '',
    installationId: world.installationId,
    ledgerTable: world.ledgerTable,
    lockTable: world.lockTable,
    eventBus: 'default',
    allowedClusters: ['prod'],
    stackNamePrefix: 'platform-',
    allowedResourceTypes: ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup'],
    readStacks: [],
    selfHeal: true,
    prune: false,
    readShare: 1,
  };
}

function webImage(simulator: AwsSimulator): string | undefined {
  const web = simulator.services().find((service) => service.serviceName === 'web');
  const revision = simulator
    .taskDefinitions()
    .find((candidate) => candidate.taskDefinition.taskDefinitionArn === web?.taskDefinition);
  return revision?.taskDefinition.containerDefinitions?.[0]?.image?.split(':').at(-1);
}

function short(commitId: string): string {
  return commitId.slice(0, 12);
}
