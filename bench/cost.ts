/** Monthly AWS cost of running driftless: per-request costs from measured durations and call counts, fixed costs from
 * the resources the synthesized stack creates, both at public us-east-1 prices, inside and outside the free tier. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../infra/create-app.ts';

const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const CLOUDTRAIL = 'https://aws.amazon.com/cloudtrail/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const FREE = 'no charge for the resource itself';

/** When the prices below were entered from the pages they cite (recheck those pages when the date grows old). */
export const PRICES_AS_OF = '2026-12-06';

/** Public per-request prices (us-east-1, USD); ECS and CloudFormation API calls cost nothing. Sources:
 * https://aws.amazon.com/lambda/pricing/ (Arm), https://aws.amazon.com/dynamodb/pricing/on-demand/,
 * https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard class), https://aws.amazon.com/eventbridge/pricing/. */
export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  dynamoDbWriteRequest: 0.625 / 1_000_000,
  dynamoDbReadRequest: 0.125 / 1_000_000,
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  eventBridgeCustomEvent: 1 / 1_000_000,
} as const;

/** The always-free monthly allowances (per account) that cover per-request costs; on-demand DynamoDB requests and
 * custom EventBridge events have none. */
export const FREE_TIER = {
  lambdaGbSeconds: 400_000,
  lambdaRequests: 1_000_000,
  logsGb: 5,
} as const;

/** What one resource type of the template costs each month whatever the traffic. */
export interface FixedPrice {
  /** USD per unit and month outside the free tier. */
  readonly monthly: number;
  /** Units a month the always-free tier covers (per account, shared with everything else in it). */
  readonly freeUnits: number;
  readonly unit: string;
  /** Where the price is published, or why the resource has no fixed cost. */
  readonly source: string;
}

/** Standard-resolution alarms bill per metric they evaluate; a metric filter is free, the metric it publishes is not. */
export const FIXED_PRICES: Readonly<Record<string, FixedPrice>> = {
  'AWS::CloudWatch::Alarm': { monthly: 0.1, freeUnits: 10, unit: 'alarm metric', source: CLOUDWATCH },
  'AWS::CloudWatch::Dashboard': { monthly: 3, freeUnits: 3, unit: 'dashboard', source: CLOUDWATCH },
  'AWS::Logs::MetricFilter': {
    monthly: 0.3,
    freeUnits: 10,
    unit: 'custom metric (distinct namespace and name; billed for the hours it has data, a full month counted)',
    source: CLOUDWATCH,
  },
  'AWS::CloudTrail::Trail': {
    // A second copy of management events: $2.00 per 100,000 events; the account's first copy is free.
    monthly: (2 * 100_000) / 100_000,
    freeUnits: 1,
    unit: 'trail (100,000 write management events a month assumed; the first copy in an account is free)',
    source: CLOUDTRAIL,
  },
  'AWS::Lambda::EventSourceMapping': {
    // An idle SQS source long-polls (20 s) with 5 pollers, fewer (down to 2) only without maximum concurrency, which
    // driftless's sources set (Lambda developer guide, "Configuring scaling behavior for SQS event source mappings"):
    // 5 × 3 a minute × 43,200 minutes = 648,000 requests.
    monthly: (648_000 * 0.4) / 1_000_000,
    freeUnits: 1,
    unit: 'SQS event source (idle polling, 648,000 requests a month; 1,000,000 SQS requests are free; stream sources are free)',
    source: SQS,
  },
  'AWS::KMS::Key': {
    monthly: 1,
    freeUnits: 0,
    unit: 'customer managed key',
    source: 'https://aws.amazon.com/kms/pricing/',
  },
  'AWS::SecretsManager::Secret': {
    monthly: 0.4,
    freeUnits: 0,
    unit: 'secret',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
  },
  'AWS::DynamoDB::Table': {
    monthly: 0,
    freeUnits: 0,
    unit: 'on-demand table',
    source: `${FREE}: requests are per-request costs; storage and backups ($0.25 and $0.20 per GB-month, 25 GB free) grow a few MB a month`,
  },
  'AWS::S3::Bucket': {
    monthly: 0,
    freeUnits: 0,
    unit: 'bucket',
    source: `${FREE}: storage of the archive or trail objects, a few MB a month at $0.023 per GB-month`,
  },
  'AWS::SQS::Queue': {
    monthly: 0,
    freeUnits: 0,
    unit: 'queue',
    source: `${FREE}: requests only (a dead-letter queue sees none)`,
  },
  'AWS::Lambda::Function': {
    monthly: 0,
    freeUnits: 0,
    unit: 'function',
    source: `${FREE}: invocations are per-request costs`,
  },
  'AWS::Lambda::Url': { monthly: 0, freeUnits: 0, unit: 'function URL', source: `${FREE}: billed as invocations` },
  'AWS::Logs::LogGroup': {
    monthly: 0,
    freeUnits: 0,
    unit: 'log group',
    source: `${FREE}: ingestion and storage are per-request costs`,
  },
  'AWS::Events::Rule': {
    monthly: 0,
    freeUnits: 0,
    unit: 'rule',
    source: `${FREE}: AWS service events and schedules on the default bus are free`,
  },
  'AWS::CodeCommit::Repository': {
    monthly: 0,
    freeUnits: 0,
    unit: 'repository',
    source: `${FREE}: CodeCommit bills active users ($1 each beyond 5), not repositories`,
  },
  'AWS::Logs::QueryDefinition': {
    monthly: 0,
    freeUnits: 0,
    unit: 'saved query',
    source: `${FREE}: queries bill per GB scanned when run`,
  },
  'AWS::IAM::Role': { monthly: 0, freeUnits: 0, unit: 'role', source: `${FREE}: IAM is free` },
  'AWS::IAM::Policy': { monthly: 0, freeUnits: 0, unit: 'policy', source: `${FREE}: IAM is free` },
  'AWS::IAM::ManagedPolicy': { monthly: 0, freeUnits: 0, unit: 'policy', source: `${FREE}: IAM is free` },
  'AWS::Lambda::Permission': { monthly: 0, freeUnits: 0, unit: 'permission', source: `${FREE}: configuration` },
  'AWS::Lambda::EventInvokeConfig': {
    monthly: 0,
    freeUnits: 0,
    unit: 'invoke config',
    source: `${FREE}: configuration`,
  },
  'AWS::SQS::QueuePolicy': { monthly: 0, freeUnits: 0, unit: 'queue policy', source: `${FREE}: configuration` },
  'AWS::S3::BucketPolicy': { monthly: 0, freeUnits: 0, unit: 'bucket policy', source: `${FREE}: configuration` },
};

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The resource types of a template the price table has no entry for: a new kind of resource is never left out. */
export function unpricedTypes(resources: Readonly<Record<string, TemplateResource>>): string[] {
  return [...new Set(Object.values(resources).map((resource) => resource.Type))]
    .filter((type) => !(type in FIXED_PRICES))
    .sort();
}

/** How many billed units a resource type accounts for in this template. */
function unitsOf(type: string, resources: readonly TemplateResource[]): number {
  if (type === 'AWS::CloudWatch::Alarm') {
    // A metric-math alarm bills each metric it reads; a plain one bills one.
    return resources.reduce((units, alarm) => {
      const metrics = alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
      return units + (metrics ? metrics.filter((metric) => metric.MetricStat).length : 1);
    }, 0);
  }
  if (type === 'AWS::Logs::MetricFilter') {
    // Filters on several log groups publishing one namespace and name publish one metric.
    const metrics = resources.flatMap((filter) =>
      ((filter.Properties?.MetricTransformations ?? []) as { MetricNamespace: string; MetricName: string }[]).map(
        (metric) => `${metric.MetricNamespace}/${metric.MetricName}`,
      ),
    );
    return new Set(metrics).size;
  }
  if (type === 'AWS::Lambda::EventSourceMapping') {
    // Lambda reads a DynamoDB stream at no charge; it pays for the requests that poll an SQS queue.
    return resources.filter((mapping) => !JSON.stringify(mapping.Properties?.EventSourceArn).includes('StreamArn'))
      .length;
  }
  return resources.length;
}

export interface FixedCostLine {
  readonly type: string;
  readonly units: number;
  readonly unit: string;
  /** USD a month when the account's free tier is used up elsewhere. */
  readonly outsideFreeTier: number;
  /** USD a month when this stack has the account's free tier to itself. */
  readonly insideFreeTier: number;
  readonly source: string;
}

export interface FixedCost {
  readonly lines: FixedCostLine[];
  readonly outsideFreeTier: number;
  readonly insideFreeTier: number;
}

/** The fixed monthly cost of a synthesized template's resources; throws on a type without a price entry. */
export function fixedMonthlyCost(resources: Readonly<Record<string, TemplateResource>>): FixedCost {
  const unpriced = unpricedTypes(resources);
  if (unpriced.length > 0) throw new Error(`no price entry in bench/cost.ts for ${unpriced.join(', ')}`);
  const byType = new Map<string, TemplateResource[]>();
  for (const resource of Object.values(resources)) {
    byType.set(resource.Type, [...(byType.get(resource.Type) ?? []), resource]);
  }
  const lines = [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, ofType]) => {
      const price = FIXED_PRICES[type]!;
      const units = unitsOf(type, ofType);
      return {
        type,
        units,
        unit: price.unit,
        outsideFreeTier: units * price.monthly,
        insideFreeTier: Math.max(0, units - price.freeUnits) * price.monthly,
        source: price.source,
      };
    });
  const sum = (key: 'outsideFreeTier' | 'insideFreeTier') => lines.reduce((total, line) => total + line[key], 0);
  return { lines, outsideFreeTier: sum('outsideFreeTier'), insideFreeTier: sum('insideFreeTier') };
}

const TARGETS = {
  allowedClusters: 'prod',
  stackNamePrefix: 'platform-',
  roleArnPatterns: 'arn:aws:iam::123456789012:role/app/*',
} as const;
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless-webhook-AbCdEf';

/** The default deployment and each option that adds fixed cost, as `cdk deploy -c` context. */
export const DEPLOYMENTS = {
  default: { ...TARGETS, repository: 'platform-config' },
  dashboard: { ...TARGETS, repository: 'platform-config', dashboard: 'true' },
  archiveLedger: { ...TARGETS, repository: 'platform-config', archiveLedger: 'true' },
  createTrail: { ...TARGETS, repository: 'platform-config', createTrail: 'true' },
  sweepShardSize: { ...TARGETS, repository: 'platform-config', sweepShardSize: '500' },
  github: {
    ...TARGETS,
    source: 'github',
    githubRepository: 'acme/platform-config',
    githubAppId: '123456',
    githubAppPrivateKeySecretArn: SECRET,
    webhookSecretArn: SECRET,
  },
} as const satisfies Record<string, Record<string, string>>;

export type Deployment = keyof typeof DEPLOYMENTS;

/** The resources of the stack `cdk synth` makes from `context`, without bundling the functions (no fixed cost). */
export function synthesizedResources(context: Readonly<Record<string, string>>): Record<string, TemplateResource> {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-cost-'));
  try {
    const { app, stack } = createApp({ ...context, 'aws:cdk:bundling-stacks': [] }, { outdir });
    return app.synth().getStackByName(stack.stackName).template.Resources as Record<string, TemplateResource>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export const ASSUMPTIONS = {
  lambdaMemoryGb: 0.5,
  sweepsPerMonth: (30 * 24 * 60) / 5,
  pushesPerMonth: 20 * 30,
  /** Write request units: lock acquire and release (1 each), renew-free short run; plus the run entry, a fenced
   * append (a TransactWriteItems: 2 units each for the entry, its hash-chain link, and the check on the lease item). */
  dynamoDbWritesPerSweepInSync: 8,
  /** Write request units: intent and outcome for RegisterTaskDefinition, UpdateService and TagResource and the run
   * entry, 7 fenced appends of 6 units; lock acquire and release. */
  dynamoDbWritesPerPush: 44,
  /** Ownership checks before each write (3 writes), the circuit-breaker history query, the unpaired intents, and the
   * chain head of the changed service read once (shared/audit/dynamodb-chain.ts). */
  dynamoDbReadsPerPush: 6,
  /** The Lambda START/END/REPORT lines and one ledger line per entry (with the request context), about 1 KB each. */
  logKbPerSweep: 4,
  logKbPerPush: 12,
  eventsPerPush: 1,
} as const;

export interface CostInput {
  /** Warm sweep durations in seconds, measured, by fleet size. */
  readonly sweepSeconds: Readonly<Record<100 | 1000, number>>;
  readonly pushSeconds: number;
  /** The fixed cost of the default deployment; synthesized when absent. */
  readonly fixed?: FixedCost;
}

function perRequest(sweepSeconds: number, pushSeconds: number) {
  const a = ASSUMPTIONS;
  const gbSeconds = (a.sweepsPerMonth * sweepSeconds + a.pushesPerMonth * pushSeconds) * a.lambdaMemoryGb;
  const requests = a.sweepsPerMonth + a.pushesPerMonth;
  const logGb = (a.sweepsPerMonth * a.logKbPerSweep + a.pushesPerMonth * a.logKbPerPush) / 1024 / 1024;
  const lambda = (gb: number, count: number) => gb * PRICES.lambdaArmGbSecond + count * PRICES.lambdaRequest;
  const logs = (gb: number) => gb * (PRICES.logsIngestedGb + PRICES.logsStoredGbMonth);
  const dynamoDb =
    (a.sweepsPerMonth * a.dynamoDbWritesPerSweepInSync + a.pushesPerMonth * a.dynamoDbWritesPerPush) *
      PRICES.dynamoDbWriteRequest +
    a.pushesPerMonth * a.dynamoDbReadsPerPush * PRICES.dynamoDbReadRequest;
  const events = a.pushesPerMonth * a.eventsPerPush * PRICES.eventBridgeCustomEvent;
  const outside = { lambda: lambda(gbSeconds, requests), dynamoDb, logs: logs(logGb), events };
  const inside = {
    lambda: lambda(
      Math.max(0, gbSeconds - FREE_TIER.lambdaGbSeconds),
      Math.max(0, requests - FREE_TIER.lambdaRequests),
    ),
    dynamoDb,
    logs: logs(Math.max(0, logGb - FREE_TIER.logsGb)),
    events,
  };
  const total = (costs: typeof outside) => costs.lambda + costs.dynamoDb + costs.logs + costs.events;
  return {
    outsideFreeTier: { ...outside, total: total(outside) },
    insideFreeTier: { ...inside, total: total(inside) },
  };
}

function atSize(sweepSeconds: number, pushSeconds: number, fixed: FixedCost) {
  const requests = perRequest(sweepSeconds, pushSeconds);
  return {
    perRequest: requests,
    fixed: { outsideFreeTier: fixed.outsideFreeTier, insideFreeTier: fixed.insideFreeTier },
    /** Outside the free tier: the figure the goal is about. */
    total: requests.outsideFreeTier.total + fixed.outsideFreeTier,
    totalInsideFreeTier: requests.insideFreeTier.total + fixed.insideFreeTier,
  };
}

/** The fixed cost each option adds to the default deployment, outside and inside the free tier. */
export function optionCosts(): Record<
  Deployment,
  FixedCost & { addsOutsideFreeTier: number; addsInsideFreeTier: number }
> {
  const fixed = Object.fromEntries(
    Object.entries(DEPLOYMENTS).map(([name, context]) => [name, fixedMonthlyCost(synthesizedResources(context))]),
  ) as Record<Deployment, FixedCost>;
  return Object.fromEntries(
    Object.entries(fixed).map(([name, cost]) => [
      name,
      {
        ...cost,
        addsOutsideFreeTier: cost.outsideFreeTier - fixed.default.outsideFreeTier,
        addsInsideFreeTier: cost.insideFreeTier - fixed.default.insideFreeTier,
      },
    ]),
  ) as ReturnType<typeof optionCosts>;
}

export function monthlyCost(input: CostInput) {
  const deployments = input.fixed ? undefined : optionCosts();
  const fixed = input.fixed ?? deployments!.default;
  return {
    assumptions: ASSUMPTIONS,
    prices: PRICES,
    pricesAsOf: PRICES_AS_OF,
    freeTier: FREE_TIER,
    fixedPrices: FIXED_PRICES,
    fixed,
    ...(deployments ? { deployments } : {}),
    services100: atSize(input.sweepSeconds[100], input.pushSeconds, fixed),
    services1000: atSize(input.sweepSeconds[1000], input.pushSeconds, fixed),
  };
}

/** The goals, in USD a month outside the free tier. */
export const COST_GOALS = { services100: 1, services1000: 5 } as const;
