/** The functions' environment contract: read once, and a missing variable fails with a ConfigurationError naming
 * it — from productionDependencies and from every module-level Lambda handler. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { productionDependencies } from '../../functions/dependencies.ts';
import { ConfigurationError, ENVIRONMENT } from '../../functions/environment.ts';

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

  it.each(['push', 'sweep', 'pull-request', 'deployment-outcome'])(
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
