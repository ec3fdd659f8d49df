/**
 * Where the opt-in integration suite (`npm run test:integration`) runs, decided from the environment:
 * - `DRIFTLESS_AWS_ENDPOINT=<url>`: an AWS-compatible endpoint (LocalStack, DynamoDB Local), with static test
 *   credentials. Every client shared/aws/clients.ts builds honours this variable, so it wins over
 *   DRIFTLESS_INTEGRATION.
 * - `DRIFTLESS_INTEGRATION=aws`: a real AWS account, when the SDK's default chain resolves a region and credentials.
 * - neither: nothing runs and the global setup prints the one line saying why.
 * `DRIFTLESS_IT_SERVICES` (comma-separated, default all) narrows the services exercised, so an endpoint that only
 * implements DynamoDB runs the DynamoDB part; CodeCommit also needs `DRIFTLESS_IT_CODECOMMIT_REPOSITORY`, an existing
 * repository that is only read.
 *
 * The global setup decides once per run and provides the result to the test files (inject), which register their
 * real tests with describe.runIf so an unconfigured run loads no SDK client and still exits 0.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { AwsClientOptions } from '../../shared/aws/clients.ts';

export const INTEGRATION_SERVICES = ['dynamodb', 'ecs', 'cloudformation', 'codecommit'] as const;
export type IntegrationService = (typeof INTEGRATION_SERVICES)[number];

export type TargetKind = 'endpoint' | 'aws' | 'none';

/** What the test files need, serializable so the global setup can provide it to every worker. */
export interface IntegrationTarget {
  readonly kind: TargetKind;
  /** One line: what the suite runs against and which services it exercises, or why it is skipped. */
  readonly reason: string;
  /** Services whose tests run; empty when kind is 'none'. */
  readonly services: readonly IntegrationService[];
  /** For the client factories of shared/aws/clients.ts. Against AWS only the region: each worker's default chain
   * resolves the credentials itself, so they are never passed around. */
  readonly clientOptions: {
    readonly region?: string;
    readonly endpoint?: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** The existing CodeCommit repository the CodeCommit tests read; set only when they run. */
  readonly codeCommitRepository?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    integrationTarget: IntegrationTarget;
  }
}

export const SKIP_REASON =
  'integration suite skipped: set DRIFTLESS_AWS_ENDPOINT=http://localhost:4566 (an AWS-compatible endpoint) ' +
  'or DRIFTLESS_INTEGRATION=aws with AWS credentials';

/** Credentials an AWS-compatible endpoint accepts: LocalStack's defaults (account 000000000000); DynamoDB Local takes
 * any. Real credentials are never sent to an endpoint. */
export const ENDPOINT_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

const DEFAULT_ENDPOINT_REGION = 'us-east-1';

/** The outcome of looking for AWS credentials and a region the way the SDK would. */
export type AwsDefaults =
  | { readonly found: true; readonly region: string }
  | { readonly found: false; readonly why: string };

/** The SDK's default chain (environment, profiles, SSO, web identity, container and instance metadata). Only asked
 * when DRIFTLESS_INTEGRATION=aws; the SDK is imported here so an unconfigured run never loads it. */
export async function awsDefaultsFromSdk(): Promise<AwsDefaults> {
  const { dynamoDbClient } = await import('../../shared/aws/clients.ts');
  const client = dynamoDbClient();
  try {
    let region: string;
    try {
      region = await client.config.region();
    } catch (error) {
      return { found: false, why: `no AWS region (set AWS_REGION): ${messageOf(error)}` };
    }
    try {
      await client.config.credentials();
    } catch (error) {
      return { found: false, why: `no AWS credentials: ${messageOf(error)}` };
    }
    return { found: true, region };
  } finally {
    client.destroy();
  }
}

/**
 * Decides the target from `env`. Throws on a value that is set but unusable (an endpoint that is not a URL, an
 * unknown service, DRIFTLESS_INTEGRATION other than aws): a typo must not turn into a silently skipped suite.
 */
export async function integrationTarget(
  env: Readonly<Record<string, string | undefined>> = process.env,
  awsDefaults: () => Promise<AwsDefaults> = awsDefaultsFromSdk,
): Promise<IntegrationTarget> {
  const endpoint = nonEmpty(env.DRIFTLESS_AWS_ENDPOINT);
  const mode = nonEmpty(env.DRIFTLESS_INTEGRATION);
  if (mode !== undefined && mode !== 'aws') {
    throw new Error(`DRIFTLESS_INTEGRATION must be 'aws' or unset, not '${mode}'`);
  }
  const requested = requestedServices(env.DRIFTLESS_IT_SERVICES);
  const repository = nonEmpty(env.DRIFTLESS_IT_CODECOMMIT_REPOSITORY);

  let kind: 'endpoint' | 'aws';
  let where: string;
  let clientOptions: IntegrationTarget['clientOptions'];
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`DRIFTLESS_AWS_ENDPOINT is not a URL: '${endpoint}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`DRIFTLESS_AWS_ENDPOINT must be an http(s) URL, not '${endpoint}'`);
    }
    const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_ENDPOINT_REGION;
    kind = 'endpoint';
    where = `endpoint ${endpoint} (region ${region}${mode === 'aws' ? '; DRIFTLESS_INTEGRATION=aws ignored' : ''})`;
    clientOptions = { region, endpoint, credentials: { ...ENDPOINT_CREDENTIALS } };
  } else if (mode === 'aws') {
    const defaults = await awsDefaults();
    if (!defaults.found) {
      return none(`integration suite skipped: DRIFTLESS_INTEGRATION=aws is set, but ${defaults.why}`);
    }
    kind = 'aws';
    where = `AWS account (region ${defaults.region})`;
    clientOptions = { region: defaults.region };
  } else {
    return none(SKIP_REASON);
  }

  const services: IntegrationService[] = [];
  const left: string[] = [];
  for (const service of INTEGRATION_SERVICES) {
    if (!requested.has(service)) left.push(`${service} (not in DRIFTLESS_IT_SERVICES)`);
    else if (service === 'codecommit' && repository === undefined) {
      left.push('codecommit (set DRIFTLESS_IT_CODECOMMIT_REPOSITORY to an existing repository)');
    } else services.push(service);
  }
  const running = services.length === 0 ? 'no services' : services.join(', ');
  const skipped = left.length === 0 ? '' : `; not running ${left.join(', ')}`;
  return {
    kind,
    reason: `integration suite against ${where}: running ${running}${skipped}`,
    services,
    clientOptions,
    ...(services.includes('codecommit') && repository !== undefined ? { codeCommitRepository: repository } : {}),
  };
}

/** The target the global setup decided for this run. */
export function providedTarget(): IntegrationTarget {
  return inject('integrationTarget');
}

export function runs(target: IntegrationTarget, service: IntegrationService): boolean {
  return target.services.includes(service);
}

/** Options for shared/aws/clients.ts: the target's region, endpoint and credentials, and the SDK's adaptive retries. */
export function clientOptions(target: IntegrationTarget): AwsClientOptions {
  const { region, endpoint, credentials } = target.clientOptions;
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials: { ...credentials } }),
    maxAttempts: 8,
  };
}

/** A name no other run uses: `driftless-it-<8 hex>`, the prefix of everything the suite creates. */
export function uniqueNamespace(): string {
  return `driftless-it-${randomBytes(4).toString('hex')}`;
}

/**
 * Calls `read` until `done` accepts its answer, for reads that are eventually consistent in AWS (Query without
 * ConsistentRead, global secondary indexes). Returns the last answer either way, so the caller's expectation shows
 * what was read.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 500 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function none(reason: string): IntegrationTarget {
  return { kind: 'none', reason, services: [], clientOptions: {} };
}

function requestedServices(value: string | undefined): Set<IntegrationService> {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) return new Set(INTEGRATION_SERVICES);
  const known = new Set<string>(INTEGRATION_SERVICES);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `DRIFTLESS_IT_SERVICES names unknown services: ${unknown.join(', ')} (known: ${INTEGRATION_SERVICES.join(', ')})`,
    );
  }
  return new Set(names as IntegrationService[]);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
