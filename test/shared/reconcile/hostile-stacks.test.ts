import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { reconcile } from '../../../shared/reconcile/run.ts';
import type { DeploymentLimits } from '../../../shared/reconcile/types.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { type CorpusRuntime, corpusBaseFiles, corpusCases } from '../../support/corpus.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import type { FileChanges } from '../../support/git-repo.ts';
import { reconcileWorlds } from '../../support/reconcile-world.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BASE_SETTINGS = corpusBaseFiles()['driftless.yaml']!;
/** What the corpus base's Settings allow: the deployment in these tests allows exactly these types. */
const BASE_TYPES = (parseDocument(BASE_SETTINGS).toJS() as { spec: { targets: { resourceTypes: string[] } } }).spec
  .targets.resourceTypes;
const EXAMPLE_TYPES = ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup'];

const SERVICE_IN_ANOTHER_ACCOUNT = `  Elsewhere:
    Type: AWS::ECS::Service
    Properties:
      Cluster: arn:aws:ecs:${REGION}:999999999999:cluster/prod
      TaskDefinition: arn:aws:ecs:${REGION}:999999999999:task-definition/miner:1
Outputs:`;

const cases = corpusCases((name) => name.startsWith('hostile-')).filter((c) => c.expected.runtime !== undefined);

/** driftless.yaml with the runtime's entries added to its targets. */
function allowedBySettings(settings: string, allow: CorpusRuntime['allow']): string {
  const document = parseDocument(settings);
  for (const [key, entries] of Object.entries(allow)) {
    const path = ['spec', 'targets', key];
    const listed = (document.getIn(path) as { toJSON(): string[] } | undefined)?.toJSON() ?? [];
    document.setIn(path, document.createNode([...listed, ...(entries ?? [])]));
  }
  return document.toString();
}

function limits(extraTypes: readonly string[] = []): DeploymentLimits {
  return {
    partition: 'aws',
    account: ACCOUNT,
    region: REGION,
    allowedClusters: ['prod'],
    stackNamePrefix: 'platform-',
    allowedResourceTypes: [...BASE_TYPES, ...extraTypes],
    readStacks: [],
  };
}

describe('the deployment limits refuse hostile stacks that Settings allow', () => {
  const makeWorld = reconcileWorlds();

  async function world(files: FileChanges, deploymentLimits: DeploymentLimits) {
    return makeWorld({
      files,
      simulator: { seed: 11, accountId: ACCOUNT, region: REGION },
      request: { limits: deploymentLimits },
    });
  }

  it('takes at least 20 hostile cases through a run', () => {
    // Assess
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.for(cases)('$name', async ({ expected, files }, { expect }) => {
    // Prepare
    const runtime = expected.runtime!;
    const repository: Record<string, string | Uint8Array> = {
      ...files,
      'driftless.yaml': allowedBySettings(String(files['driftless.yaml']), runtime.allow),
    };
    // Without the base's stack, any CloudFormation call the run made would be the hostile stack's.
    delete repository['stacks/network.yaml'];
    delete repository['stacks/network.template.yaml'];
    const env = await world(repository, limits(runtime.deployment));
    const validated = await loadRepository(env.deps.source, { ref: 'main' });

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(validated.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map(({ code, file, line }) => ({ code, file, line }))).toEqual(runtime.diagnostics);
    expect(errors.every((d) => /this installation/.test(d.message))).toBe(true);
    expect(env.simulator.stubs.cloudFormation.calls()).toEqual([]);
    expect(env.simulator.stacks()).toEqual([]);
    // The rest of the repository still applies; the refusal makes the run partial, never a silent success.
    expect(result.status).toBe('partial');
    expect(env.simulator.services().map((service) => service.serviceName)).toEqual(['web']);
  });
});

describe('the deployment bounds what a stack declares, as it bounds clusters', () => {
  const makeWorld = reconcileWorlds();

  async function world(files: FileChanges, deploymentLimits: DeploymentLimits) {
    return makeWorld({
      files,
      simulator: { seed: 13, accountId: ACCOUNT, region: REGION },
      request: { limits: deploymentLimits },
    });
  }
  const exampleWorld = async (deploymentLimits: DeploymentLimits) =>
    world(await readTree(EXAMPLE_REPO_DIR), deploymentLimits);

  it('creates the example stack when the deployment allows the types it declares', async () => {
    // Prepare
    const env = await exampleWorld({ ...limits(), allowedResourceTypes: EXAMPLE_TYPES });

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.status).toBe('applied');
    expect(env.simulator.stacks().map((stack) => stack.stackName)).toEqual(['platform-network']);
  });

  it('refuses the example stack, before any CloudFormation call, when one of its types is not allowed', async () => {
    // Prepare
    const env = await exampleWorld({ ...limits(), allowedResourceTypes: ['AWS::EC2::VPC', 'AWS::EC2::Subnet'] });

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({
        code: 'E_RESOURCE_TYPE',
        file: 'stacks/network.template.yaml',
        line: 32,
        message:
          'template stacks/network.template.yaml: resource ServiceSecurityGroup: AWS::EC2::SecurityGroup is not allowed by allowedResourceTypes of this installation (AWS::EC2::VPC, AWS::EC2::Subnet); add AWS::EC2::SecurityGroup there to allow it',
      }),
    ]);
    expect(env.simulator.stubs.cloudFormation.calls()).toEqual([]);
    expect(env.simulator.stacks()).toEqual([]);
  });

  it("refuses a template's ECS service in a cluster ARN of another account, though Settings name the cluster", async () => {
    // Prepare
    const files = await readTree(EXAMPLE_REPO_DIR);
    const settings = String(files['driftless.yaml']).replace(
      '      - AWS::EC2::SecurityGroup\n',
      '      - AWS::EC2::SecurityGroup\n      - AWS::ECS::Service\n',
    );
    const template = `${String(files['stacks/network.template.yaml']).replace('Outputs:', SERVICE_IN_ANOTHER_ACCOUNT)}`;
    const env = await world(
      { ...files, 'driftless.yaml': settings, 'stacks/network.template.yaml': template },
      { ...limits(), allowedResourceTypes: [...EXAMPLE_TYPES, 'AWS::ECS::Service'] },
    );

    // Act
    const validated = await loadRepository(env.deps.source, { ref: 'main' });
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(validated.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({
        code: 'E_TARGET',
        file: 'stacks/network.template.yaml',
        line: 39,
        message: expect.stringContaining('account 999999999999, not 123456789012'),
      }),
    ]);
    expect(env.simulator.stubs.cloudFormation.calls()).toEqual([]);
  });

  it('allows by the intersection: a service pattern in the deployment, exact types in Settings', async () => {
    // Prepare
    const env = await exampleWorld({ ...limits(), allowedResourceTypes: ['AWS::EC2::*'] });

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(result.status).toBe('applied');
    expect(env.simulator.stacks()).toHaveLength(1);
  });
});
