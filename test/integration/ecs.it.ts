/** EcsLiveReader against the target, read-only: a cluster this run made up does not exist, and the reader says so
 * rather than failing or inventing services. */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsClient } from '../../shared/aws/clients.ts';
import { EcsLiveReader, serviceId } from '../../shared/live/ecs.ts';
import { clientOptions, providedTarget, runs, uniqueNamespace } from './target.ts';

const target = providedTarget();

describe.runIf(runs(target, 'ecs'))(`EcsLiveReader against the ${target.kind} target`, () => {
  const cluster = `${uniqueNamespace()}-cluster`;
  let client: ECSClient | undefined;
  let reader: EcsLiveReader;

  beforeAll(() => {
    client = ecsClient(clientOptions(target));
    reader = new EcsLiveReader({ client });
  });

  afterAll(() => {
    client?.destroy();
  });

  it('reports the services of a cluster that does not exist absent, and the cluster missing', async () => {
    const state = await reader.readServices([
      { cluster, name: 'web' },
      { cluster, name: 'api' },
    ]);
    expect(state.resources.size).toBe(0);
    expect([...state.absent].sort()).toEqual([serviceId(cluster, 'api'), serviceId(cluster, 'web')]);
    expect([...state.missingClusters]).toEqual([cluster]);
  });

  it('finds no managed services in a cluster that does not exist', async () => {
    expect(await reader.listManagedServices(cluster, cluster)).toEqual([]);
  });
});
