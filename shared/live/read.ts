/** Reads the live state a plan needs: every declared resource, and (for prune candidates) what this installation
 * manages, through the ECS and CloudFormation readers. */

import type { LiveEcsService, LiveResource, LiveState } from '../plan/live-state.ts';
import type { ManagedResource } from '../plan/plan.ts';
import { clusterName } from '../spec/checks.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { CloudFormationLiveReader } from './cloudformation.ts';
import type { EcsLiveReader, EcsLiveState } from './ecs.ts';
import { readServicesAndManaged } from './ecs-managed.ts';

export interface LiveReaders {
  readonly ecs: EcsLiveReader;
  readonly cloudFormation: CloudFormationLiveReader;
}

export interface ReadLiveOptions {
  /** When set, resources tagged driftless:managed-by=<id> are listed as prune candidates. */
  readonly installationId?: string;
  /** Called with each service as soon as it is read, while the other reads go on (see EcsLiveReader.readServices). */
  readonly onService?: (live: LiveEcsService) => void;
}

export interface LiveReadResult {
  readonly live: LiveState;
  readonly managed?: readonly ManagedResource[];
  /** Clusters named by declarations that do not exist. */
  readonly missingClusters: readonly string[];
}

export async function readLiveState(
  snapshot: RepositorySnapshot,
  readers: LiveReaders,
  options: ReadLiveOptions = {},
): Promise<LiveReadResult> {
  const services = snapshot.declarations.flatMap((declaration) =>
    declaration.kind === 'EcsService'
      ? [{ cluster: clusterName(declaration.document.metadata.cluster), name: declaration.document.metadata.name }]
      : [],
  );
  const stacks = snapshot.declarations.flatMap((declaration) =>
    declaration.kind === 'CloudFormationStack' ? [declaration.document.metadata.name] : [],
  );

  const serviceOptions = options.onService ? { onService: options.onService } : {};
  let managed: ManagedResource[] | undefined;
  let ecs: EcsLiveState;
  let cloudFormation: LiveState;
  if (options.installationId !== undefined && snapshot.settings) {
    const installationId = options.installationId;
    const targets = snapshot.settings.document.spec.targets;
    const declared = new Set(snapshot.declarations.map((declaration) => declaration.id));
    // ECS and CloudFormation at once, and within ECS the declared services are described while the clusters are
    // listed (readServicesAndManaged): one phase, each service described once.
    const [ecsRead, stacksRead] = await Promise.all([
      // By name, as the writes address them: a cluster is read and written the same way.
      readServicesAndManaged(
        readers.ecs,
        services,
        { clusters: targets.clusters.map((cluster) => clusterName(cluster)), installationId },
        serviceOptions,
      ),
      readers.cloudFormation.listManagedStacks(installationId, targets.stackNamePrefix).then(async (names) => {
        const undeclared = names.filter((name) => !declared.has(`CloudFormationStack:${name}`));
        return { names, live: await readers.cloudFormation.readStacks([...stacks, ...undeclared]) };
      }),
    ]);
    managed = [];
    for (const service of ecsRead.managed) {
      managed.push({ id: `EcsService:${clusterName(service.cluster)}/${service.name}`, kind: 'EcsService' });
    }
    for (const name of stacksRead.names)
      managed.push({ id: `CloudFormationStack:${name}`, kind: 'CloudFormationStack' });
    ecs = ecsRead;
    cloudFormation = stacksRead.live;
  } else {
    [ecs, cloudFormation] = await Promise.all([
      readers.ecs.readServices(services, serviceOptions),
      readers.cloudFormation.readStacks(stacks),
    ]);
  }
  const resources = new Map<string, LiveResource>([...ecs.resources, ...cloudFormation.resources]);
  const absent = new Set([...ecs.absent, ...cloudFormation.absent]);
  return {
    live: { resources, absent },
    ...(managed ? { managed } : {}),
    missingClusters: [...ecs.missingClusters],
  };
}
