/** What the IAM proofs of a GitHub and a GitLab deployment share: Secrets Manager and SQS answered in memory, the
 * webhook receiver and worker wired as production wires them on a test harness, what neither function may ever do,
 * and the tally each proof prints. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { FunctionDependencies } from '../../../functions/dependencies.ts';
import type { FunctionEnvironment } from '../../../functions/environment.ts';
import { hostAdapters } from '../../../functions/hosts.ts';
import { runAndAnnounce } from '../../../functions/run.ts';
import { SecretCache } from '../../../functions/secrets.ts';
import { createWebhookHandler, productionReceiverOptions } from '../../../functions/webhook.ts';
import { createWebhookWorker } from '../../../functions/webhook-worker.ts';
import { DynamoDbDeliveryLog } from '../../../shared/triggers/webhook-deliveries.ts';
import type { WebhookMessage } from '../../../shared/triggers/webhook-events.ts';
import type { Harness } from '../../functions/support.ts';
import { localDynamoDb } from '../dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../fixtures.ts';
import type { AuthorizedRequest } from './commands.ts';
import { ACCOUNT, type Installation, PARTITION, REGION } from './deployment.ts';
import type { Forbidden } from './outside-targets.ts';
import { type Attributed, proveConfined } from './proof.ts';
import { recorder } from './recorder.ts';
import type { Verdict } from './simulate.ts';

/** The example repository's targets (as in iam-proof.test.ts), whichever host holds it. */
export const EXAMPLE_TARGETS = {
  allowedClusters: 'prod,staging',
  stackNamePrefix: 'platform-',
  roleArnPatterns:
    'arn:aws:iam::123456789012:role/app/*,arn:aws:iam::123456789012:role/cloudformation/platform-deployer',
  readStacks: 'shared-dns',
  allowedResourceTypes: 'AWS::EC2::VPC,AWS::EC2::Subnet,AWS::EC2::SecurityGroup',
  installationId: 'demo',
  prune: 'true',
} as const;

/** The proofs' push to main (web 1.4.3 rolls out, the network stack gains an output) and the change a pull request
 * proposes on top of it (web scaled to 4), as files of the example repository. */
export async function exampleChanges(): Promise<{
  readonly example: Record<string, string>;
  readonly push: Record<string, string>;
  readonly scale: Record<string, string>;
}> {
  const example = Object.fromEntries(
    Object.entries(await readTree(EXAMPLE_REPO_DIR)).map(([path, content]) => [path, String(content)]),
  );
  const web = example['services/web.yaml'] ?? '';
  return {
    example,
    push: {
      'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3'),
      'stacks/network.template.yaml': `${example['stacks/network.template.yaml']}  VpcIdOut:\n    Value: !Ref Vpc\n`,
    },
    scale: { 'services/web.yaml': web.replace('desiredCount: 3', 'desiredCount: 4') },
  };
}

export const RECEIVER = 'webhook';
export const WORKER = 'webhook-worker';

/** What the worker's push run calls, whatever the host: rolls a service out, changes a stack, records and announces. */
export const PUSH_RUN_ACTIONS = [
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
];

/** Secrets Manager and SQS answered in memory for every client of the class (the receiver builds its own). */
export interface InMemorySecretsAndQueue {
  /** Secret text by ARN. */
  readonly secretValues: Map<string, string>;
  /** What was sent to the worker's queue and not yet worked. */
  readonly queued: WebhookMessage[];
  restore(): void;
}

export function answerSecretsAndQueue(): InMemorySecretsAndQueue {
  const secretValues = new Map<string, string>();
  const queued: WebhookMessage[] = [];
  const secretsManager = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) => {
    const value = secretValues.get(input.SecretId ?? '');
    if (value === undefined) throw Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' });
    return { ARN: input.SecretId, SecretString: value };
  });
  sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
    queued.push(JSON.parse(input.MessageBody ?? '{}') as WebhookMessage);
    return { MessageId: `q-${queued.length}`, MD5OfMessageBody: 'md5' };
  });
  return {
    secretValues,
    queued,
    restore() {
      secretsManager.restore();
      sqs.restore();
    },
  };
}

/** A delivery as a Lambda function URL hands it over: header names lower-cased, the body as sent. */
export interface Delivery {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookFunctions {
  /** The receiver's function URL, as production wires it, on the harness's lock table; answers the status. */
  receive(delivery: Delivery): Promise<number>;
  /** The worker takes what was queued, as SQS hands it over, as a cold function (its host secret not read yet). */
  work(): Promise<void>;
}

/**
 * The worker's environment as deployed, pointed at the fake host by `atHost` and at the harness's tables (named as the
 * installation's through `aliases`); the example deployed from main by a set-up that is nobody's call; then the
 * receiver and the worker as their functions wire them.
 */
export async function webhookFunctions(options: {
  readonly installation: Installation;
  readonly harness: Harness;
  readonly aws: InMemorySecretsAndQueue;
  readonly aliases: Map<string, string>;
  readonly atHost: (deployed: FunctionEnvironment) => FunctionEnvironment;
}): Promise<WebhookFunctions> {
  const { installation, harness, aws, aliases } = options;
  const { ledgerTable, lockTable } = harness.deps.environment;
  aliases.set(ledgerTable, installation.ledgerTable);
  aliases.set(lockTable, installation.lockTable);
  const environment = { ...options.atHost(installation.environment(WORKER)), ledgerTable, lockTable };
  const workerDeps = (secret: (arn: string) => () => Promise<string>): FunctionDependencies => ({
    ...harness.deps,
    environment,
    ...hostAdapters(environment, { codeCommit: harness.deps.codeCommit, secret }),
  });
  const known = (arn: string) => async () => {
    const value = aws.secretValues.get(arn);
    if (value === undefined) throw new Error(`the proof set no secret ${arn}`);
    return value;
  };
  await runAndAnnounce(workerDeps(known), { trigger: 'manual' }, {});
  harness.simulator.advance();

  const secrets = new SecretCache(new SecretsManagerClient({ region: REGION }));
  const worker = createWebhookWorker(workerDeps((arn) => () => secrets.get(arn).read()));
  const receiver = createWebhookHandler({
    ...productionReceiverOptions(installation.variables(RECEIVER)),
    deliveries: new DynamoDbDeliveryLog({ tableName: lockTable, client: localDynamoDb({ region: REGION }) }),
    logger: harness.logger,
  });
  return {
    async receive({ headers, body }) {
      const event = { headers, body, requestContext: { http: { method: 'POST' } } };
      return (await recorder.as(RECEIVER, () => receiver(event))).statusCode;
    },
    async work() {
      const Records = aws.queued.splice(0).map((message, index) => ({
        messageId: `m-${index}`,
        body: JSON.stringify(message),
        attributes: { ApproximateReceiveCount: '1' },
      }));
      const result = await recorder.as(WORKER, () => worker({ Records }));
      if (result.batchItemFailures.length > 0) throw new Error('the worker failed a message');
      harness.simulator.advance();
    },
  };
}

/** The distinct actions `principal` was recorded making, sorted. */
export function actionsOf(requests: readonly Attributed[], principal: string): string[] {
  return [
    ...new Set(requests.filter((item) => item.principal === principal).map((item) => item.request.action)),
  ].sort();
}

/** The secrets `principal` read. */
export function secretsReadBy(requests: readonly Attributed[], principal: string): string[] {
  return [
    ...new Set(
      requests
        .filter((item) => item.principal === principal && item.request.action === 'secretsmanager:GetSecretValue')
        .map((item) => item.request.resource),
    ),
  ];
}

/** What neither function of a GitHub or GitLab deployment may do: any CodeCommit call, the other function's secret,
 * and the receiver anything the worker did to a target (all but its delivery claims in the lock table). */
export function notTheirs(
  installation: Installation,
  requests: readonly Attributed[],
  deployment: {
    readonly host: string;
    /** The repository's name, as a CodeCommit repository of the same name would be. */
    readonly repositoryName: string;
    readonly receiverSecretArn: string;
    readonly workerSecretArn: string;
  },
): Forbidden[] {
  const repository = `arn:${PARTITION}:codecommit:${REGION}:${ACCOUNT}:${deployment.repositoryName}`;
  const codeCommit = ['GetBranch', 'GetFile', 'GetDifferences', 'PostCommentForPullRequest', 'CreateCommit'];
  const secret = (principal: string, arn: string): Forbidden => ({
    principal,
    request: { action: 'secretsmanager:GetSecretValue', resource: arn, context: {} },
    why: "of the other function's secret",
  });
  const receiverTargets: Forbidden[] = requests
    .filter(({ principal, request }) => principal === WORKER && !request.action.startsWith('secretsmanager'))
    .filter(
      ({ request }) => !(request.action === 'dynamodb:PutItem' && request.resource.endsWith(installation.lockTable)),
    )
    .map(({ request }) => ({ principal: RECEIVER, request, why: 'by the receiver, which touches no target' }));
  return [
    ...[RECEIVER, WORKER].flatMap((principal) =>
      codeCommit.map(
        (action): Forbidden => ({
          principal,
          request: { action: `codecommit:${action}`, resource: repository, context: {} } as AuthorizedRequest,
          why: `a CodeCommit call from a ${deployment.host} deployment`,
        }),
      ),
    ),
    secret(RECEIVER, deployment.workerSecretArn),
    secret(WORKER, deployment.receiverSecretArn),
    ...receiverTargets,
  ];
}

/** The verdicts of one proof file, printed once at its end. */
export class ProofTally {
  readonly allowed: Verdict[] = [];
  readonly denied: Verdict[] = [];
  recordedCalls = 0;

  /** Decides `requests` as the two functions, expecting each allowed; then expects them aimed outside, what the
   * functions may never do, and `forbidden`, denied. */
  async prove(
    installation: Installation,
    installationId: string,
    requests: readonly Attributed[],
    forbidden: readonly Forbidden[],
  ): Promise<void> {
    const verdicts = await proveConfined(installation, requests, {
      installationId,
      principals: [RECEIVER, WORKER],
      forbidden,
    });
    this.allowed.push(...verdicts.allowed);
    this.denied.push(...verdicts.denied);
  }

  /** Every decision to IAM_PROOF_DUMP=<file> for a reviewer (as iam-proof.test.ts), and the counts per principal. */
  async report(host: string): Promise<void> {
    if (process.env.IAM_PROOF_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        process.env.IAM_PROOF_DUMP,
        JSON.stringify({ allowed: this.allowed, denied: this.denied }, null, 1),
      );
    }
    console.info(
      `IAM proof (${host}): ${this.recordedCalls} recorded calls; ${this.allowed.length} distinct requests allowed ` +
        `(${countsByPrincipal(this.allowed)}); ${this.denied.length} requests outside the targets denied ` +
        `(${countsByPrincipal(this.denied)})`,
    );
  }
}

function countsByPrincipal(verdicts: readonly Verdict[]): string {
  const counts = new Map<string, number>();
  for (const verdict of verdicts) counts.set(verdict.principal, (counts.get(verdict.principal) ?? 0) + 1);
  return [...counts]
    .map(([principal, count]) => `${principal} ${count}`)
    .sort()
    .join(', ');
}
