/** Declared services and the installation's managed ones read in one pass (readServicesAndManaged):
 * the same live state and managed list as listing first and reading after, with every service described once and
 * the declared ones described while the cluster is still being listed. */
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsLiveReader, type ServiceTarget } from '../../../shared/live/ecs.ts';
import { readServicesAndManaged } from '../../../shared/live/ecs-managed.ts';
import { type AwsSimulator, createAwsSimulator } from '../../../shared/sim/index.ts';

const UNPACED = { capacity: 1e9, refillPerSecond: 1e9 };
const RATES = { describeServices: UNPACED, describeTaskDefinition: UNPACED };

/** 250 services in prod: svc-000…199 declared, the rest not; every third managed by inst-1, every third by inst-2,
 * the others untagged. Three families, so task definitions are shared. */
function world(latencyMs: number): AwsSimulator {
  // One clock and seed, so two worlds answer alike to the byte.
  const simulator = createAwsSimulator({
    latencyMs,
    now: () => 1_800_000_000_000,
    seed: 7,
    missingClusters: ['staging'],
  });
  for (let family = 0; family < 3; family += 1) {
    simulator.seedTaskDefinition({
      family: `family-${family}`,
      containerDefinitions: [{ name: 'a', image: 'a', memory: 128 }],
    });
  }
  for (let index = 0; index < 250; index += 1) {
    const owner = index % 3 === 0 ? 'inst-1' : index % 3 === 1 ? 'inst-2' : undefined;
    simulator.seedService({
      cluster: 'prod',
      serviceName: name(index),
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      taskDefinition: `family-${index % 3}`,
      ...(owner ? { tags: [{ key: 'driftless:managed-by', value: owner }] } : {}),
    });
  }
  return simulator;
}

function name(index: number): string {
  return `svc-${String(index).padStart(3, '0')}`;
}

/** The declared services, one that does not exist, and one in a cluster that does not exist. */
const TARGETS: ServiceTarget[] = [
  ...Array.from({ length: 200 }, (_, index) => ({ cluster: 'prod', name: name(index) })),
  { cluster: 'prod', name: 'ghost' },
  { cluster: 'staging', name: 'web' },
];
const MANAGED = { clusters: ['prod', 'staging'], installationId: 'inst-1' };

describe('readServicesAndManaged', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('reads what listing then reading reads, describing each service once', async () => {
    // Prepare: the two-phase read, as plans read before, for the expected answer.
    const before = world(0);
    cleanups.push(() => before.restore());
    const twoPhase = new EcsLiveReader({ client: before.ecs, rates: RATES });
    const listed = (
      await Promise.all(
        MANAGED.clusters.map((cluster) => twoPhase.listManagedServices(cluster, MANAGED.installationId)),
      )
    ).flat();
    const declared = new Set(TARGETS.map((target) => `${target.cluster}/${target.name}`));
    const orphans = listed.filter((service) => !declared.has(`${service.cluster}/${service.name}`));
    const expected = await twoPhase.readServices([...TARGETS, ...orphans]);
    const after = world(0);
    cleanups.push(() => after.restore());
    const seen: string[] = [];

    // Act
    const read = await readServicesAndManaged(
      new EcsLiveReader({ client: after.ecs, rates: RATES }),
      TARGETS,
      MANAGED,
      {
        onService: (live) => seen.push(live.id),
      },
    );

    // Assess
    expect(orphans.map((service) => service.name)).toEqual(
      Array.from({ length: 50 }, (_, k) => 200 + k)
        .filter((index) => index % 3 === 0)
        .map(name),
    );
    expect(read.managed).toEqual(listed);
    expect([...read.resources.keys()].sort()).toEqual([...expected.resources.keys()].sort());
    for (const [id, live] of expected.resources) expect(read.resources.get(id)).toEqual(live);
    expect(read.absent).toEqual(expected.absent);
    expect(read.missingClusters).toEqual(new Set(['staging']));
    expect(read.missingClusters).toEqual(expected.missingClusters);
    expect(read.absent).toEqual(new Set(['EcsService:prod/ghost', 'EcsService:staging/web']));
    expect(seen.sort()).toEqual([...expected.resources.keys()].sort());
    const described = after.stubs.ecs
      .commandCalls(DescribeServicesCommand)
      .flatMap((call) => (call.args[0].input.services ?? []).map((service) => service.split('/').pop()));
    expect(described.filter((service) => service?.startsWith('svc-')).sort()).toEqual(
      Array.from({ length: 250 }, (_, index) => name(index)),
    );
    expect(after.calls['ECS.DescribeServices']).toBe(27);
    expect(before.calls['ECS.DescribeServices']).toBeGreaterThan(after.calls['ECS.DescribeServices']!);
    expect(after.calls['ECS.DescribeTaskDefinition']).toBe(3);
  });

  it('describes the declared services while the cluster is still being listed', async () => {
    // Prepare
    const simulator = world(5);
    cleanups.push(() => simulator.restore());

    // Act
    await readServicesAndManaged(new EcsLiveReader({ client: simulator.ecs, rates: RATES }), TARGETS, MANAGED);

    // Assess
    const order = simulator.stubs.ecs.calls().map((call) => (call.args[0] as object).constructor.name);
    expect(order.filter((command) => command === ListServicesCommand.name).length).toBe(4);
    expect(order.indexOf(DescribeServicesCommand.name)).toBeLessThan(order.lastIndexOf(ListServicesCommand.name));
  });
});
