/** Always runs, configured or not: the detection that decides what the rest of the suite runs against. */
import { describe, expect, it } from 'vitest';
import {
  type AwsDefaults,
  clientOptions,
  ENDPOINT_CREDENTIALS,
  INTEGRATION_SERVICES,
  integrationTarget,
  providedTarget,
  SKIP_REASON,
  uniqueNamespace,
} from './target.ts';

/** Stands in for the SDK's default chain, and records whether it was asked. */
function awsDefaults(answer: AwsDefaults) {
  const probe = {
    asked: 0,
    resolve: async (): Promise<AwsDefaults> => {
      probe.asked += 1;
      return answer;
    },
  };
  return probe;
}

const FOUND = { found: true, region: 'eu-west-1' } as const;

describe('integrationTarget', () => {
  it("is 'none' with the one-line reason when neither an endpoint nor DRIFTLESS_INTEGRATION=aws is set", async () => {
    const probe = awsDefaults(FOUND);
    const target = await integrationTarget({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_REGION: 'eu-west-1' }, probe.resolve);
    expect(target).toEqual({ kind: 'none', reason: SKIP_REASON, services: [], clientOptions: {} });
    expect(target.reason).toBe(
      'integration suite skipped: set DRIFTLESS_AWS_ENDPOINT=http://localhost:4566 (an AWS-compatible endpoint) ' +
        'or DRIFTLESS_INTEGRATION=aws with AWS credentials',
    );
    // Credentials alone never opt in, and are not even looked for.
    expect(probe.asked).toBe(0);
  });

  it("is 'endpoint' with static test credentials, every service but CodeCommit by default", async () => {
    const probe = awsDefaults(FOUND);
    const target = await integrationTarget({ DRIFTLESS_AWS_ENDPOINT: 'http://localhost:4566' }, probe.resolve);
    expect(target.kind).toBe('endpoint');
    expect(target.services).toEqual(['dynamodb', 'ecs', 'cloudformation']);
    expect(target.clientOptions).toEqual({
      region: 'us-east-1',
      endpoint: 'http://localhost:4566',
      credentials: ENDPOINT_CREDENTIALS,
    });
    expect(target.reason).toBe(
      'integration suite against endpoint http://localhost:4566 (region us-east-1): running dynamodb, ecs, ' +
        'cloudformation; not running codecommit (set DRIFTLESS_IT_CODECOMMIT_REPOSITORY to an existing repository)',
    );
    expect(probe.asked).toBe(0);
  });

  it('narrows the services to DRIFTLESS_IT_SERVICES and takes the region from the environment', async () => {
    const target = await integrationTarget({
      DRIFTLESS_AWS_ENDPOINT: 'http://127.0.0.1:8000',
      DRIFTLESS_IT_SERVICES: ' DynamoDB ,',
      AWS_DEFAULT_REGION: 'eu-central-1',
    });
    expect(target.services).toEqual(['dynamodb']);
    expect(target.clientOptions.region).toBe('eu-central-1');
    expect(target.reason).toContain('not running ecs (not in DRIFTLESS_IT_SERVICES), cloudformation (not in');
  });

  it('prefers the endpoint when DRIFTLESS_INTEGRATION=aws is set too, since every client honours it', async () => {
    const probe = awsDefaults(FOUND);
    const target = await integrationTarget(
      { DRIFTLESS_AWS_ENDPOINT: 'http://localhost:4566', DRIFTLESS_INTEGRATION: 'aws' },
      probe.resolve,
    );
    expect(target.kind).toBe('endpoint');
    expect(target.reason).toContain('DRIFTLESS_INTEGRATION=aws ignored');
    expect(probe.asked).toBe(0);
  });

  it("is 'aws' when DRIFTLESS_INTEGRATION=aws and the default chain finds credentials, passing only the region", async () => {
    const probe = awsDefaults(FOUND);
    const target = await integrationTarget(
      { DRIFTLESS_INTEGRATION: 'aws', DRIFTLESS_IT_CODECOMMIT_REPOSITORY: 'config' },
      probe.resolve,
    );
    expect(probe.asked).toBe(1);
    expect(target).toEqual({
      kind: 'aws',
      reason:
        'integration suite against AWS account (region eu-west-1): running dynamodb, ecs, cloudformation, codecommit',
      services: [...INTEGRATION_SERVICES],
      clientOptions: { region: 'eu-west-1' },
      codeCommitRepository: 'config',
    });
    expect(clientOptions(target)).toEqual({ region: 'eu-west-1', maxAttempts: 8 });
  });

  it("is 'none' with the reason when DRIFTLESS_INTEGRATION=aws finds no credentials", async () => {
    const probe = awsDefaults({
      found: false,
      why: 'no AWS credentials: Could not load credentials from any providers',
    });
    const target = await integrationTarget({ DRIFTLESS_INTEGRATION: 'aws' }, probe.resolve);
    expect(target.kind).toBe('none');
    expect(target.services).toEqual([]);
    expect(target.reason).toBe(
      'integration suite skipped: DRIFTLESS_INTEGRATION=aws is set, but no AWS credentials: ' +
        'Could not load credentials from any providers',
    );
  });

  it('refuses settings that are set but unusable instead of skipping silently', async () => {
    await expect(integrationTarget({ DRIFTLESS_INTEGRATION: 'yes' })).rejects.toThrow(
      "DRIFTLESS_INTEGRATION must be 'aws' or unset, not 'yes'",
    );
    await expect(integrationTarget({ DRIFTLESS_AWS_ENDPOINT: 'localhost:4566' })).rejects.toThrow(/http\(s\) URL/);
    await expect(integrationTarget({ DRIFTLESS_AWS_ENDPOINT: 'not a url' })).rejects.toThrow(/not a URL/);
    await expect(
      integrationTarget({ DRIFTLESS_AWS_ENDPOINT: 'http://localhost:4566', DRIFTLESS_IT_SERVICES: 'dynamodb,s3' }),
    ).rejects.toThrow('DRIFTLESS_IT_SERVICES names unknown services: s3');
  });

  it('names everything the suite creates driftless-it-<random>', () => {
    const first = uniqueNamespace();
    expect(first).toMatch(/^driftless-it-[0-9a-f]{8}$/);
    expect(uniqueNamespace()).not.toBe(first);
  });
});

describe('this run', () => {
  it('was given the target the environment describes, with its one-line reason', async () => {
    const target = providedTarget();
    expect(target.reason).toMatch(/^integration suite (skipped: |against )/);
    const asksAws = process.env.DRIFTLESS_INTEGRATION?.trim() === 'aws' && !process.env.DRIFTLESS_AWS_ENDPOINT?.trim();
    if (asksAws) {
      expect(['aws', 'none']).toContain(target.kind);
    } else {
      // Detecting again needs no credentials lookup and must agree with the global setup.
      const notAsked = async (): Promise<AwsDefaults> => {
        throw new Error('the default chain is asked only for DRIFTLESS_INTEGRATION=aws');
      };
      expect(await integrationTarget(process.env, notAsked)).toEqual(target);
    }
  });
});
