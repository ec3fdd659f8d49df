import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../shared/reconcile/run.ts';
import type { DeploymentLimits } from '../../../shared/reconcile/types.ts';
import type { AwsSimulator } from '../../../shared/sim/index.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { reconcileWorlds } from '../../support/reconcile-world.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const HOME: DeploymentLimits = { partition: 'aws', account: ACCOUNT, region: REGION };

/** Every ECS and CloudFormation call the simulator received, as its command name and input. */
function callsOf(simulator: AwsSimulator): { command: string; input: string }[] {
  return [...simulator.stubs.ecs.calls(), ...simulator.stubs.cloudFormation.calls()].map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return { command: command.constructor.name, input: JSON.stringify(command.input) };
  });
}

describe('confining cluster ARNs to the deployment', () => {
  const makeWorld = reconcileWorlds();

  /** The example repository with web's cluster (and, when given, the Settings' clusters) rewritten. */
  async function environment(cluster: string, settingsClusters?: string) {
    const files = await readTree(EXAMPLE_REPO_DIR);
    const web = files['services/web.yaml']!.toString().replace('  cluster: prod\n', `  cluster: ${cluster}\n`);
    const settings = files['driftless.yaml']!.toString();
    return makeWorld({
      files: {
        ...files,
        'services/web.yaml': web,
        'driftless.yaml': settingsClusters
          ? settings.replace('clusters: [prod]', `clusters: ${settingsClusters}`)
          : settings,
      },
      simulator: { seed: 5, accountId: ACCOUNT, region: REGION },
      request: { limits: HOME },
    });
  }

  it.each([
    ['another account', 'arn:aws:ecs:us-east-1:999999999999:cluster/prod', 'account 999999999999, not 123456789012'],
    ['another region', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', 'region eu-west-1, not us-east-1'],
    ['another partition', 'arn:aws-us-gov:ecs:us-east-1:123456789012:cluster/prod', 'partition aws-us-gov, not aws'],
  ])('refuses a cluster ARN in %s at file:line, before any AWS call for the service', async (_where, arn, why) => {
    // Prepare
    const env = await environment(arn);

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    const refused = result.diagnostics.filter((d) => d.code === 'E_TARGET');
    expect(refused).toEqual([
      expect.objectContaining({ file: 'services/web.yaml', line: 3, message: expect.stringContaining(why) }),
    ]);
    const calls = callsOf(env.simulator);
    expect(calls.filter((call) => /"(web|prod\/web)"|999999999999|eu-west-1|aws-us-gov/.test(call.input))).toEqual([]);
    expect(
      env.simulator
        .services()
        .map((service) => service.serviceName)
        .sort(),
    ).toEqual(['api', 'worker']);
  });

  it('addresses a cluster written as an ARN of its own account by name, in every read and write', async () => {
    // Prepare
    const env = await environment(`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`);

    // Act
    const first = await reconcile(env.request, env.deps);
    env.simulator.advance();
    const second = await reconcile(env.request, env.deps);

    // Assess
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(first.status).toBe('applied');
    expect(second.status).toBe('in-sync');
    const clusters = callsOf(env.simulator).flatMap((call) => {
      const cluster = (JSON.parse(call.input) as { cluster?: string }).cluster;
      return cluster === undefined ? [] : [cluster];
    });
    expect(clusters.length).toBeGreaterThan(3);
    expect(new Set(clusters)).toEqual(new Set(['prod']));
  });

  it('refuses Settings that name a cluster in another account, and every service in it', async () => {
    // Prepare
    const env = await environment('prod', '[arn:aws:ecs:us-east-1:999999999999:cluster/prod]');

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    const refused = result.diagnostics.filter((d) => d.code === 'E_TARGET');
    expect(refused.map((d) => `${d.file}:${d.line}`).sort()).toEqual([
      'driftless.yaml:3',
      'services/api.yaml:5',
      'services/web.yaml:3',
      'services/worker.yaml:3',
    ]);
    expect(env.simulator.calls['ECS.DescribeServices'] ?? 0).toBe(0);
    expect(env.simulator.calls['ECS.ListServices'] ?? 0).toBe(0);
    expect(env.simulator.services()).toEqual([]);
  });
});
