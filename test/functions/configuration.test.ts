/** The functions' environment contract: read once, and a missing variable fails with a ConfigurationError naming
 * it — from productionDependencies and from every module-level Lambda handler. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { productionDependencies, shardWorkerDependencies, sweepDependencies } from '../../functions/dependencies.ts';
import { ENVIRONMENT, limitsOf, readEnvironment } from '../../functions/environment.ts';
import { ConfigurationError } from '../../shared/errors.ts';
import { DynamoDbTaskDefinitionStore } from '../../shared/live/task-definition-store.ts';
import { CodeCommitProposer } from '../../shared/writeback/codecommit-proposer.ts';

const COMPLETE = {
  [ENVIRONMENT.repository]: 'platform-config',
  [ENVIRONMENT.branch]: 'main',
  [ENVIRONMENT.installationId]: 'prod-1',
  [ENVIRONMENT.ledgerTable]: 'driftless-ledger',
  [ENVIRONMENT.lockTable]: 'driftless-lock',
  [ENVIRONMENT.allowedClusters]: 'prod, staging',
  [ENVIRONMENT.selfHeal]: 'false',
};

describe('function configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('builds production dependencies from a complete environment, limits included', () => {
    // Act
    const deps = productionDependencies({ ...COMPLETE, AWS_REGION: 'us-east-1' });

    // Assess
    expect(deps.environment).toMatchObject({
      repository: 'platform-config',
      allowedClusters: ['prod', 'staging'],
      selfHeal: false,
      prune: false,
      eventBus: 'default',
    });
    expect(deps.source.description).toBe('CodeCommit repository platform-config');
    expect(deps.proposer).toBeInstanceOf(CodeCommitProposer);
    expect((deps.proposer as CodeCommitProposer).description).toBe('CodeCommit repository platform-config');
  });

  it('reads the resource types and read stacks the deployment allows into the run limits; unset is none', () => {
    // Act
    const listed = readEnvironment({
      ...COMPLETE,
      [ENVIRONMENT.allowedResourceTypes]: 'AWS::SQS::*, AWS::SNS::Topic',
      [ENVIRONMENT.readStacks]: 'shared-network',
    });
    const unset = readEnvironment(COMPLETE);

    // Assess
    expect(limitsOf(listed)).toMatchObject({
      allowedResourceTypes: ['AWS::SQS::*', 'AWS::SNS::Topic'],
      readStacks: ['shared-network'],
    });
    expect(limitsOf(unset)).toMatchObject({ allowedResourceTypes: [], readStacks: [] });
  });

  it('refuses a resource type pattern wider than one service at cold start', () => {
    // Act
    const read = () => readEnvironment({ ...COMPLETE, [ENVIRONMENT.allowedResourceTypes]: 'AWS::*' });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(ENVIRONMENT.allowedResourceTypes);
  });

  it('fails with a ConfigurationError naming the missing variable', () => {
    // Prepare
    const { [ENVIRONMENT.ledgerTable]: _missing, ...incomplete } = COMPLETE;

    // Act
    const failure = (() => {
      try {
        productionDependencies(incomplete);
        return undefined;
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toContain(ENVIRONMENT.ledgerTable);
    expect((failure as Error).message).not.toContain(ENVIRONMENT.repository);
    expect(failure).toMatchObject({ retryable: false });
  });

  it('turns the sweep fan-out on with a shard size above 0 and a queue URL, and gives only then the SQS client', () => {
    // Prepare
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/driftless-sweep-shards';
    const fanOut = { ...COMPLETE, [ENVIRONMENT.sweepShardSize]: '500', [ENVIRONMENT.shardQueueUrl]: queueUrl };

    // Act
    const on = readEnvironment(fanOut);
    const off = readEnvironment({ ...fanOut, [ENVIRONMENT.sweepShardSize]: '0' });
    const unset = readEnvironment(COMPLETE);

    // Assess
    expect(on).toMatchObject({ sweepShardSize: 500, shardQueueUrl: queueUrl });
    for (const environment of [off, unset]) {
      expect(environment).not.toHaveProperty('sweepShardSize');
      expect(environment).not.toHaveProperty('shardQueueUrl');
    }
    expect(sweepDependencies({ ...fanOut, AWS_REGION: 'us-east-1' }).sqs).toBeDefined();
    expect(sweepDependencies({ ...COMPLETE, AWS_REGION: 'us-east-1' }).sqs).toBeUndefined();
    expect(productionDependencies({ ...fanOut, AWS_REGION: 'us-east-1' }).sqs).toBeUndefined();
  });

  it('gives the sweep and its workers (the lease holders that read every service) the persistent task definition cache', () => {
    // Act
    const sweep = sweepDependencies({ ...COMPLETE, AWS_REGION: 'us-east-1' });
    const worker = shardWorkerDependencies({ ...COMPLETE, AWS_REGION: 'us-east-1' });
    const other = productionDependencies({ ...COMPLETE, AWS_REGION: 'us-east-1' });

    // Assess: the sweep's cache is the lock table; a function that may not touch that table has none.
    expect(sweep.readers?.ecs.store).toBeInstanceOf(DynamoDbTaskDefinitionStore);
    expect(worker.readers?.ecs.store).toBeInstanceOf(DynamoDbTaskDefinitionStore);
    expect(other.readers?.ecs.store).toBeUndefined();
  });

  it.each([
    ['a shard size without the queue URL', { [ENVIRONMENT.sweepShardSize]: '500' }, ENVIRONMENT.shardQueueUrl],
    [
      'a shard size that is not a whole number',
      { [ENVIRONMENT.sweepShardSize]: '-5', [ENVIRONMENT.shardQueueUrl]: 'https://sqs.example/q' },
      ENVIRONMENT.sweepShardSize,
    ],
    [
      'a queue URL that is not a URL',
      { [ENVIRONMENT.sweepShardSize]: '500', [ENVIRONMENT.shardQueueUrl]: 'driftless-sweep-shards' },
      ENVIRONMENT.shardQueueUrl,
    ],
  ])('refuses %s with a ConfigurationError naming it', (_what, variables, named) => {
    // Act
    const failure = (() => {
      try {
        readEnvironment({ ...COMPLETE, ...variables });
        return undefined;
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toContain(named);
  });

  it.each(['push', 'sweep', 'pull-request', 'deployment-outcome', 'sweep-shard'])(
    'the %s module imports without its environment, and its handler rethrows the ConfigurationError on every invocation',
    async (name) => {
      // Prepare
      for (const [variable, value] of Object.entries(COMPLETE)) {
        if (variable !== ENVIRONMENT.lockTable) vi.stubEnv(variable, value);
      }
      const module = (await import(`../../functions/${name}.ts`)) as { handler: (event: unknown) => Promise<unknown> };

      // Act
      const first = await module.handler({}).catch((error: unknown) => error);
      const second = await module.handler({}).catch((error: unknown) => error);

      // Assess
      for (const failure of [first, second]) {
        expect(failure).toBeInstanceOf(ConfigurationError);
        expect((failure as Error).message).toContain(ENVIRONMENT.lockTable);
      }
    },
  );
});

describe('the read share of sweep workers', () => {
  it('divides the ECS read rate among workers that run side by side', () => {
    const base = {
      DRIFTLESS_REPOSITORY: 'platform-config',
      DRIFTLESS_BRANCH: 'main',
      DRIFTLESS_INSTALLATION_ID: 'test',
      DRIFTLESS_LEDGER_TABLE: 'ledger',
      DRIFTLESS_LOCK_TABLE: 'lock',
      DRIFTLESS_ALLOWED_CLUSTERS: 'prod',
      AWS_REGION: 'us-east-1',
    };
    expect(productionDependencies({ ...base, DRIFTLESS_READ_SHARE: '4' }).environment.readShare).toBe(4);
    expect(productionDependencies(base).environment.readShare).toBe(1);
    expect(() => productionDependencies({ ...base, DRIFTLESS_READ_SHARE: '0' })).toThrow(/DRIFTLESS_READ_SHARE/);
  });
});
