/** The deployment's settings, read from CDK context (`cdk.json` or `-c key=value`) and validated at synth time, so a
 * missing or malformed value stops `cdk synth` with a message that names the key instead of a broken stack. */
import { z } from 'zod';
import { GITHUB_REPOSITORY, GITLAB_PROJECT, SECRET_ARN, SOURCES } from '../functions/environment.ts';
import { patternProblem } from '../shared/spec/resource-types.ts';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json: both are accepted. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** A comma-separated string (-c) or a JSON array (cdk.json); unset is an empty list. */
const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : value.split(',')))
  .transform((items) => items.map((item) => item.trim()).filter((item) => item !== ''));

const clusterName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'an ECS cluster name (letters, digits, hyphens, underscores), not an ARN');

const roleArn = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/*-]+$/;

const secretArn = z
  .string()
  .regex(SECRET_ARN, 'a full Secrets Manager secret ARN (ending in the six characters Secrets Manager appends)');

/** Keys each source needs, and the ones it must not be given. */
const SOURCE_KEYS = {
  codecommit: { required: ['repository'], foreign: ['githubRepository', 'githubApiUrl', 'gitlabProject'] },
  github: {
    required: ['githubRepository', 'githubAppId', 'githubAppPrivateKeySecretArn', 'webhookSecretArn'],
    foreign: ['repository', 'createRepository', 'gitlabProject'],
  },
  gitlab: {
    required: ['gitlabProject', 'gitlabTokenSecretArn', 'webhookSecretArn'],
    foreign: ['repository', 'createRepository', 'githubRepository', 'githubApiUrl'],
  },
} as const;

const REQUIRED_MESSAGES: Readonly<Record<string, string>> = {
  repository: 'is required: the CodeCommit repository holding the declarations (-c repository=NAME)',
  githubRepository: 'is required with source=github: the repository as owner/name (-c githubRepository=acme/config)',
  githubAppId: "is required with source=github: the GitHub App's id (-c githubAppId=123456)",
  githubAppPrivateKeySecretArn:
    "is required with source=github: the Secrets Manager secret holding the App's private key (PEM)",
  webhookSecretArn: 'is required with a GitHub or GitLab source: the secret holding the webhook secret (token)',
  gitlabProject: 'is required with source=gitlab: the project path (-c gitlabProject=group/sub/project)',
  gitlabTokenSecretArn: 'is required with source=gitlab: the secret holding a project access token',
};

const schema = z
  .object({
    /** Where the declarations live: a CodeCommit repository, a GitHub repository or a GitLab project. */
    source: z.enum(SOURCES).default('codecommit'),
    repository: z
      .string()
      .regex(/^[\w.-]{1,100}$/, 'a CodeCommit repository name (letters, digits, ".", "_", "-"; up to 100)')
      .optional(),
    githubRepository: z.string().regex(GITHUB_REPOSITORY, 'a GitHub repository as owner/name').optional(),
    githubAppId: z.coerce
      .string()
      .regex(/^\d{1,12}$/, "a GitHub App's numeric id")
      .optional(),
    githubAppPrivateKeySecretArn: secretArn.optional(),
    /** GitHub Enterprise Server's REST API (https://github.example.com/api/v3); unset: api.github.com. */
    githubApiUrl: z
      .string()
      .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'an https URL of the GitHub API, e.g. https://github.example.com/api/v3')
      .optional(),
    webhookSecretArn: secretArn.optional(),
    gitlabProject: z
      .string()
      .regex(GITLAB_PROJECT, 'a GitLab project path: group/project or group/sub/project')
      .optional(),
    gitlabUrl: z
      .string()
      .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'an https URL: https://gitlab.com or a self-managed instance')
      .optional(),
    gitlabTokenSecretArn: secretArn.optional(),
    createRepository: flag.default(false),
    branch: z.string().min(1).default('main'),
    pathPrefix: z.string().default(''),
    allowedClusters: list.pipe(
      z
        .array(clusterName)
        .min(
          1,
          'is required: a comma-separated list of the ECS clusters driftless may write to (-c allowedClusters=a,b)',
        ),
    ),
    stackNamePrefix: z
      .string({
        error:
          'is required: every CloudFormation stack driftless manages starts with it (-c stackNamePrefix=platform-)',
      })
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,63}$/,
        'a non-empty CloudFormation stack name prefix (starts with a letter; letters, digits, hyphens): it scopes IAM',
      ),
    roleArnPatterns: list.pipe(
      z.array(
        z
          .string()
          .regex(roleArnPattern, 'an IAM role ARN with a 12-digit account; `*` is allowed in the path and name only')
          .refine(
            (pattern) => !/:role\/\*$/.test(pattern),
            'must not match every role in the account (use a path such as role/app/*)',
          ),
      ),
    ),
    cloudFormationRoleArn: z.string().regex(roleArn, 'an IAM role ARN without wildcards').optional(),
    /** CloudFormation resource types (exact, or `AWS::Service::*`) the managed stacks may declare; it bounds
     * driftless.yaml's targets.resourceTypes and shapes the CloudFormation role. Unset: stacks may declare none.
     * Hidden work (AWS::CloudFormation::Stack, custom resources, AWS::IAM::*, `Transform::<name>`,
     * AWS::CloudFormation::Init) is allowed only when named exactly. */
    allowedResourceTypes: list.pipe(
      z.array(
        z
          .string()
          .regex(
            /^(Transform::[A-Za-z0-9:._-]+|[A-Za-z][A-Za-z0-9]*::[A-Za-z0-9]+::([A-Za-z0-9]+|\*)|Custom::[A-Za-z0-9_@-]+)$/,
            'a resource type such as AWS::SQS::Queue, a service pattern such as AWS::SQS::*, or Transform::<name>',
          )
          .superRefine((pattern, context) => {
            const problem = patternProblem(pattern);
            if (problem) context.addIssue({ code: 'custom', message: problem });
          }),
      ),
    ),
    /** Stacks outside stackNamePrefix whose outputs `${stack:…}` references may read (exact names). */
    readStacks: list.pipe(
      z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name, without wildcards')),
    ),
    /** The permissions boundary every IAM role a stack creates must carry (only with AWS::IAM::Role allowed).
     * @default a boundary policy the deployment creates */
    permissionsBoundaryArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/, 'an IAM managed policy ARN without wildcards')
      .optional(),
    sweepRate: z
      .string()
      .regex(
        /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
        'an EventBridge schedule expression: rate(5 minutes) or cron(...)',
      )
      .default('rate(5 minutes)'),
    selfHeal: flag.default(true),
    prune: flag.default(false),
    installationId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'up to 64 letters, digits, ".", "_" or "-"')
      .default('default'),
    logRetentionDays: z.coerce
      .number()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    reserveConcurrency: flag.default(true),
    sweepShardSize: z.coerce
      .number()
      .int('a whole number')
      .min(0, '0 (no fan-out) or more')
      .max(100_000, 'at most 100000 services per shard')
      .default(0),
    sweepWorkers: z.coerce
      .number()
      .int('a whole number')
      .min(2, 'at least 2: the SQS event source cannot be limited to fewer concurrent workers')
      .max(1000, 'at most 1000: the most concurrent workers an SQS event source can be limited to')
      .default(4),
    /** Create a CloudTrail trail (write management events, this region) so "AWS API Call via CloudTrail" events
     * reach EventBridge and manual changes are reverted in seconds; leave false when the account has a trail. */
    createTrail: flag.default(false),
    /** Days the trail's S3 bucket keeps log files (createTrail only). */
    trailRetentionDays: z.coerce.number().int('a whole number').min(1).max(3653).default(90),
    /** Copy every ledger entry, from the table's stream, to an S3 bucket with Object Lock in compliance mode, so
     * history survives even an administrator. */
    archiveLedger: flag.default(false),
    /** Years each archived entry is locked for (archiveLedger only); compliance mode cannot be shortened. */
    archiveRetentionYears: z.coerce.number().int('a whole number').min(1).max(100).default(7),
    /** Create the CloudWatch dashboard and the ledger metrics it graphs ($3/month beyond an account's three free
     * dashboards, $0.30 per metric-month); the saved queries answer the same questions at no fixed cost. */
    dashboard: flag.default(false),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'an SNS topic ARN')
      .optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name')
      .optional(),
  })
  .superRefine(
    (value, context) => {
      const keys = SOURCE_KEYS[value.source ?? 'codecommit'] ?? SOURCE_KEYS.codecommit;
      const given = value as Readonly<Record<string, unknown>>;
      for (const key of keys.required) {
        if (given[key] === undefined) {
          context.addIssue({ code: 'custom', path: [key], message: REQUIRED_MESSAGES[key] ?? 'is required' });
        }
      }
      for (const key of keys.foreign) {
        if (given[key] !== undefined && given[key] !== false) {
          context.addIssue({ code: 'custom', path: [key], message: `does not apply with source=${value.source}` });
        }
      }
      if (value.gitlabUrl !== undefined && value.source !== 'gitlab') {
        context.addIssue({ code: 'custom', path: ['gitlabUrl'], message: 'applies only with source=gitlab' });
      }
    },
    // Checked even when other keys are invalid, so one error names every missing key.
    { when: () => true },
  )
  .transform(({ repository, githubRepository, gitlabProject, gitlabUrl, ...value }) => ({
    ...value,
    ...(githubRepository ? { githubRepository } : {}),
    ...(gitlabProject ? { gitlabProject, gitlabUrl: (gitlabUrl ?? 'https://gitlab.com').replace(/\/+$/, '') } : {}),
    /** CodeCommit's repository name, GitHub's owner/name or GitLab's project path: what the functions track. */
    repository: githubRepository ?? gitlabProject ?? repository ?? '',
    stackName:
      value.stackName ?? (value.installationId === 'default' ? 'driftless' : `driftless-${value.installationId}`),
  }))
  .refine((value) => !value.stackName.startsWith(value.stackNamePrefix), {
    path: ['stackName'],
    message: 'must not start with stackNamePrefix: driftless would then be allowed to change or delete its own stack',
  });

/** The validated settings of one driftless installation. */
export type DriftlessContext = z.output<typeof schema>;
/** The settings as given (context values, or the Driftless construct's props), before defaults and validation. */
export type DriftlessContextInput = z.input<typeof schema>;

/** The context keys read, in documentation order. */
export const CONTEXT_KEYS = Object.keys(schema.in.shape) as readonly (keyof z.input<typeof schema>)[];

export class ContextError extends Error {
  override readonly name = 'ContextError';
}

/** Validates raw context values (undefined for an unset key); throws ContextError naming every bad key. */
export function parseContext(raw: Readonly<Record<string, unknown>>): DriftlessContext {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(context)';
    return `  - ${key}: ${issue.message}`;
  });
  throw new ContextError(`driftless: invalid CDK context\n${problems.join('\n')}`);
}
