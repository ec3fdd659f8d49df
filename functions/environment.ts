/** The environment every driftless Lambda function reads once, at module load: names set by the CDK stack
 * (infra/) and parsed here, so a missing or malformed value fails the cold start with a named error. */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import { enum as enumOf, object, string, type z } from 'zod';
import { ConfigurationError } from '../shared/errors.ts';
import type { DeploymentLimits } from '../shared/reconcile/types.ts';
import { partitionOfRegion } from '../shared/spec/arn.ts';
import { patternProblem } from '../shared/spec/resource-types.ts';

/** Environment variable names, shared with the CDK stack that sets them. */
export const ENVIRONMENT = {
  repository: 'DRIFTLESS_REPOSITORY',
  branch: 'DRIFTLESS_BRANCH',
  pathPrefix: 'DRIFTLESS_PATH_PREFIX',
  installationId: 'DRIFTLESS_INSTALLATION_ID',
  ledgerTable: 'DRIFTLESS_LEDGER_TABLE',
  lockTable: 'DRIFTLESS_LOCK_TABLE',
  eventBus: 'DRIFTLESS_EVENT_BUS',
  allowedClusters: 'DRIFTLESS_ALLOWED_CLUSTERS',
  stackNamePrefix: 'DRIFTLESS_STACK_NAME_PREFIX',
  allowedResourceTypes: 'DRIFTLESS_ALLOWED_RESOURCE_TYPES',
  readStacks: 'DRIFTLESS_READ_STACKS',
  selfHeal: 'DRIFTLESS_SELF_HEAL',
  prune: 'DRIFTLESS_PRUNE',
  cloudFormationRoleArn: 'DRIFTLESS_CLOUDFORMATION_ROLE_ARN',
  sweepShardSize: 'DRIFTLESS_SWEEP_SHARD_SIZE',
  shardQueueUrl: 'DRIFTLESS_SHARD_QUEUE_URL',
  readShare: 'DRIFTLESS_READ_SHARE',
  ownRoleArns: 'DRIFTLESS_OWN_ROLE_ARNS',
  source: 'DRIFTLESS_SOURCE',
  githubAppId: 'DRIFTLESS_GITHUB_APP_ID',
  githubPrivateKeySecretArn: 'DRIFTLESS_GITHUB_PRIVATE_KEY_SECRET_ARN',
  githubApiUrl: 'DRIFTLESS_GITHUB_API_URL',
  gitlabUrl: 'DRIFTLESS_GITLAB_URL',
  gitlabTokenSecretArn: 'DRIFTLESS_GITLAB_TOKEN_SECRET_ARN',
  webhookSecretArn: 'DRIFTLESS_WEBHOOK_SECRET_ARN',
  webhookQueueUrl: 'DRIFTLESS_WEBHOOK_QUEUE_URL',
} as const;

/** Where the configuration repository is hosted. */
export const SOURCES = ['codecommit', 'github', 'gitlab'] as const;
export type SourceHost = (typeof SOURCES)[number];

/** A full Secrets Manager secret ARN (with the six characters Secrets Manager appends to the name). */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
/** GitHub's owner/name. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** A GitLab project path: a group, any subgroups, the project. */
export const GITLAB_PROJECT = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/;

const secretArn = string().regex(SECRET_ARN, 'a full Secrets Manager secret ARN');

const flag = enumOf(['true', 'false']).transform((value) => value === 'true');
const list = string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** A count written as decimal digits; unset is 0. */
const count = string()
  .regex(/^\d{1,9}$/, 'a whole number of 0 or more')
  .transform((value) => Number(value))
  .default(0);

const schema = object({
  [ENVIRONMENT.repository]: string().min(1),
  [ENVIRONMENT.branch]: string().min(1),
  [ENVIRONMENT.pathPrefix]: string().default(''),
  [ENVIRONMENT.installationId]: string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  [ENVIRONMENT.ledgerTable]: string().min(3),
  [ENVIRONMENT.lockTable]: string().min(3),
  [ENVIRONMENT.eventBus]: string().default('default'),
  [ENVIRONMENT.allowedClusters]: list,
  [ENVIRONMENT.stackNamePrefix]: string().default(''),
  // Unset is an empty list: stacks may declare no type, references may read no stack outside the prefix.
  [ENVIRONMENT.allowedResourceTypes]: list
    .refine((patterns) => patterns.every((pattern) => patternProblem(pattern) === undefined), {
      message: 'resource type patterns: exact types (AWS::SQS::Queue), one service (AWS::SQS::*) or Transform::<name>',
    })
    .default([]),
  [ENVIRONMENT.readStacks]: list.default([]),
  [ENVIRONMENT.selfHeal]: flag.default(true),
  [ENVIRONMENT.prune]: flag.default(false),
  [ENVIRONMENT.cloudFormationRoleArn]: string().startsWith('arn:').optional(),
  [ENVIRONMENT.sweepShardSize]: count,
  [ENVIRONMENT.readShare]: string()
    .regex(/^[1-9]\d{0,3}$/, 'a whole number of processes sharing the read rate')
    .transform(Number)
    .default(1),
  [ENVIRONMENT.ownRoleArns]: list.default([]),
  [ENVIRONMENT.shardQueueUrl]: string()
    .regex(/^https?:\/\/\S+$/, 'an SQS queue URL')
    .optional(),
  [ENVIRONMENT.source]: enumOf(SOURCES).default('codecommit'),
  [ENVIRONMENT.githubAppId]: string()
    .regex(/^\d{1,12}$/, 'a GitHub App id (digits)')
    .optional(),
  [ENVIRONMENT.githubPrivateKeySecretArn]: secretArn.optional(),
  // Unset is api.github.com; GitHub Enterprise Server answers at https://HOST/api/v3.
  [ENVIRONMENT.githubApiUrl]: string()
    .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'an https URL')
    .optional(),
  [ENVIRONMENT.gitlabUrl]: string()
    .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'an https URL')
    .default('https://gitlab.com'),
  [ENVIRONMENT.gitlabTokenSecretArn]: secretArn.optional(),
  [ENVIRONMENT.webhookSecretArn]: secretArn.optional(),
  [ENVIRONMENT.webhookQueueUrl]: string()
    .regex(/^https?:\/\/\S+$/, 'an SQS queue URL')
    .optional(),
  // Set by Lambda itself: the region the function runs in.
  AWS_REGION: string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region name')
    .optional(),
})
  .refine((value) => value[ENVIRONMENT.sweepShardSize] === 0 || value[ENVIRONMENT.shardQueueUrl] !== undefined, {
    path: [ENVIRONMENT.shardQueueUrl],
    message: `is required when ${ENVIRONMENT.sweepShardSize} is set: the queue the sweep sends its shards to`,
  })
  .superRefine((value, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    const source = value[ENVIRONMENT.source];
    if (source === 'github') {
      if (!GITHUB_REPOSITORY.test(value[ENVIRONMENT.repository])) {
        problem(ENVIRONMENT.repository, 'a GitHub repository as owner/name when the source is github');
      }
      if (!value[ENVIRONMENT.githubAppId]) problem(ENVIRONMENT.githubAppId, 'is required when the source is github');
      if (!value[ENVIRONMENT.githubPrivateKeySecretArn]) {
        problem(ENVIRONMENT.githubPrivateKeySecretArn, 'is required when the source is github');
      }
    }
    if (source === 'gitlab') {
      if (!GITLAB_PROJECT.test(value[ENVIRONMENT.repository])) {
        problem(ENVIRONMENT.repository, 'a GitLab project path (group/project) when the source is gitlab');
      }
      if (!value[ENVIRONMENT.gitlabTokenSecretArn]) {
        problem(ENVIRONMENT.gitlabTokenSecretArn, 'is required when the source is gitlab');
      }
    }
  });

/** How the functions reach a GitHub repository: as a GitHub App installation. */
export interface GitHubSettings {
  readonly owner: string;
  readonly repo: string;
  readonly appId: number;
  /** The App's private key (PEM) in Secrets Manager. */
  readonly privateKeySecretArn: string;
  /** The REST API's URL when it is not https://api.github.com (GitHub Enterprise Server: https://HOST/api/v3). */
  readonly apiUrl?: string;
}

/** How the functions reach a GitLab project: with a project access token. */
export interface GitLabSettings {
  readonly project: string;
  /** https://gitlab.com, or a self-managed instance's URL. */
  readonly baseUrl: string;
  readonly tokenSecretArn: string;
}

/** What only the webhook receiver is given. */
export interface WebhookSettings {
  /** The GitHub webhook secret or GitLab secret token, in Secrets Manager. */
  readonly secretArn: string;
  /** The queue the receiver hands deliveries to, read by the webhook worker. */
  readonly queueUrl: string;
}

export interface FunctionEnvironment {
  /** Where the repository is hosted; absent means CodeCommit (tests and older deployments). */
  readonly source?: SourceHost;
  /** CodeCommit's repository name, GitHub's owner/name or GitLab's project path. */
  readonly repository: string;
  /** Set when source is github. */
  readonly github?: GitHubSettings;
  /** Set when source is gitlab. */
  readonly gitlab?: GitLabSettings;
  /** Set for the webhook receiver only. */
  readonly webhook?: WebhookSettings;
  readonly branch: string;
  readonly pathPrefix: string;
  readonly installationId: string;
  readonly ledgerTable: string;
  readonly lockTable: string;
  readonly eventBus: string;
  /** The deployment's own allowlist: a declaration outside it is refused even if driftless.yaml allows it. */
  readonly allowedClusters: readonly string[];
  readonly stackNamePrefix: string;
  /** Resource type patterns the stacks' templates may declare (empty: none), whatever driftless.yaml allows. */
  readonly allowedResourceTypes: readonly string[];
  /** Stacks outside stackNamePrefix whose outputs `${stack:…}` references may read. */
  readonly readStacks: readonly string[];
  /** Upper bounds the repository cannot raise: selfHeal false here means drift is recorded, never reverted. */
  readonly selfHeal: boolean;
  readonly prune: boolean;
  /** The service role CloudFormation uses for stacks whose declaration names none. */
  readonly cloudFormationRoleArn?: string;
  /** Set only when the sweep fans out: the most services one shard reconciles (functions/sweep.ts). */
  readonly sweepShardSize?: number;
  /** Set only when the sweep fans out: the SQS queue its shards are sent to, read by functions/sweep-shard.ts. */
  readonly shardQueueUrl?: string;
  /** How many processes share the account's ECS read rate (the sweep workers): each reads at 1/readShare of it. */
  readonly readShare: number;
  /** The installation's own IAM roles (functions, CloudFormation service role): manual-change ignores their calls. */
  readonly ownRoleArns?: readonly string[];
  /** Where the function runs (AWS_REGION, and the account from its own ARN at the first invocation): a cluster
   * written as an ARN must be here. */
  readonly partition?: string;
  readonly account?: string;
  readonly region?: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): FunctionEnvironment {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`the function's environment is incomplete or malformed: ${problems}`);
  }
  const value = parsed.data;
  return {
    source: value[ENVIRONMENT.source],
    repository: value[ENVIRONMENT.repository],
    ...hostOf(value),
    ...webhookOf(value[ENVIRONMENT.webhookSecretArn], value[ENVIRONMENT.webhookQueueUrl]),
    branch: value[ENVIRONMENT.branch],
    pathPrefix: value[ENVIRONMENT.pathPrefix],
    installationId: value[ENVIRONMENT.installationId],
    ledgerTable: value[ENVIRONMENT.ledgerTable],
    lockTable: value[ENVIRONMENT.lockTable],
    eventBus: value[ENVIRONMENT.eventBus],
    allowedClusters: value[ENVIRONMENT.allowedClusters],
    stackNamePrefix: value[ENVIRONMENT.stackNamePrefix],
    allowedResourceTypes: value[ENVIRONMENT.allowedResourceTypes],
    readStacks: value[ENVIRONMENT.readStacks],
    selfHeal: value[ENVIRONMENT.selfHeal],
    prune: value[ENVIRONMENT.prune],
    ...(value[ENVIRONMENT.cloudFormationRoleArn]
      ? { cloudFormationRoleArn: value[ENVIRONMENT.cloudFormationRoleArn] }
      : {}),
    ...fanOutOf(value[ENVIRONMENT.sweepShardSize], value[ENVIRONMENT.shardQueueUrl]),
    readShare: value[ENVIRONMENT.readShare],
    ...(value[ENVIRONMENT.ownRoleArns].length > 0 ? { ownRoleArns: value[ENVIRONMENT.ownRoleArns] } : {}),
    ...(value.AWS_REGION ? { region: value.AWS_REGION, partition: partitionOfRegion(value.AWS_REGION) } : {}),
  };
}

/** The host settings of the source (the schema has made sure each is complete). */
function hostOf(value: z.output<typeof schema>): Pick<FunctionEnvironment, 'github' | 'gitlab'> {
  const repository = value[ENVIRONMENT.repository];
  const appId = value[ENVIRONMENT.githubAppId];
  const privateKeySecretArn = value[ENVIRONMENT.githubPrivateKeySecretArn];
  if (value[ENVIRONMENT.source] === 'github' && appId && privateKeySecretArn) {
    const [owner = '', repo = ''] = repository.split('/');
    const apiUrl = value[ENVIRONMENT.githubApiUrl]?.replace(/\/+$/, '');
    return { github: { owner, repo, appId: Number(appId), privateKeySecretArn, ...(apiUrl ? { apiUrl } : {}) } };
  }
  const tokenSecretArn = value[ENVIRONMENT.gitlabTokenSecretArn];
  if (value[ENVIRONMENT.source] === 'gitlab' && tokenSecretArn) {
    return {
      gitlab: { project: repository, baseUrl: value[ENVIRONMENT.gitlabUrl].replace(/\/+$/, ''), tokenSecretArn },
    };
  }
  return {};
}

function webhookOf(secretArn: string | undefined, queueUrl: string | undefined): Pick<FunctionEnvironment, 'webhook'> {
  return secretArn && queueUrl ? { webhook: { secretArn, queueUrl } } : {};
}

/** Fan-out is on when the shard size is above 0 (the schema has made sure a queue URL comes with it). */
function fanOutOf(
  shardSize: number,
  queueUrl: string | undefined,
): Pick<FunctionEnvironment, 'sweepShardSize' | 'shardQueueUrl'> {
  return shardSize > 0 && queueUrl ? { sweepShardSize: shardSize, shardQueueUrl: queueUrl } : {};
}

/** The sweep's fan-out, when the environment turns it on. */
export function fanOutOfEnvironment(
  environment: FunctionEnvironment,
): { readonly shardSize: number; readonly queueUrl: string } | undefined {
  return environment.sweepShardSize && environment.shardQueueUrl
    ? { shardSize: environment.sweepShardSize, queueUrl: environment.shardQueueUrl }
    : undefined;
}

/** What the deployment allows, whatever driftless.yaml says: passed to every run as its limits. */
export function limitsOf(environment: FunctionEnvironment): DeploymentLimits {
  return {
    allowedClusters: environment.allowedClusters,
    stackNamePrefix: environment.stackNamePrefix,
    allowedResourceTypes: environment.allowedResourceTypes,
    readStacks: environment.readStacks,
    selfHeal: environment.selfHeal,
    prune: environment.prune,
    ...(environment.partition ? { partition: environment.partition } : {}),
    ...(environment.account ? { account: environment.account } : {}),
    ...(environment.region ? { region: environment.region } : {}),
  };
}
