/** Reads declared ECS services and the ones an installation manages in one pass, each described once: the declared
 * ones are described at once while the clusters are listed, and a listed service nobody declared is described as
 * soon as ten such names are listed, then read whole (its task definition too) when the installation manages it. */
import type { ListServicesCommandOutput, Service } from '@aws-sdk/client-ecs';
import { errorName, liveReadError } from '../aws/errors.ts';
import type { LiveEcsService } from '../plan/live-state.ts';
import { compareStrings } from '../util.ts';
import {
  DESCRIBE_SERVICES_BATCH_SIZE,
  describedService,
  type EcsLiveReader,
  type EcsLiveState,
  isManagedBy,
  lastSegment,
  type ReadServicesOptions,
  type ServiceTarget,
  serviceId,
} from './ecs.ts';

export interface ManagedClusters {
  /** Clusters to list, by name or ARN. */
  readonly clusters: readonly string[];
  /** Services tagged driftless:managed-by=<this> are managed. */
  readonly installationId: string;
}

export interface ManagedService {
  readonly cluster: string;
  readonly name: string;
}

interface ListedCluster {
  /** Every service name ListServices gave. */
  readonly listedNames: ReadonlySet<string>;
  /** The listed services nobody declared that the installation manages, read whole. */
  readonly orphans: readonly LiveEcsService[];
}

/** What readServices and listManagedServices answer together. `managed` is per cluster in `managed.clusters`' order,
 * by name, as listManagedServices answers for each: a declared service is managed when it was listed and is tagged. */
export async function readServicesAndManaged(
  reader: EcsLiveReader,
  targets: readonly ServiceTarget[],
  managed: ManagedClusters,
  options: ReadServicesOptions = {},
): Promise<EcsLiveState & { readonly managed: readonly ManagedService[] }> {
  const declared = new Map<string, Set<string>>();
  for (const target of targets) {
    const clusterName = lastSegment(target.cluster);
    const names = declared.get(clusterName) ?? new Set<string>();
    declared.set(clusterName, names);
    names.add(lastSegment(target.name));
  }
  const listed = new Map<string, Promise<ListedCluster>>();
  for (const cluster of managed.clusters) {
    const clusterName = lastSegment(cluster);
    if (listed.has(clusterName)) continue;
    const undeclared = listUndeclared(reader, cluster, declared.get(clusterName) ?? new Set(), managed, options);
    // A failed listing is reported by the await below, after the declared read settles or fails first.
    undeclared.catch(() => undefined);
    listed.set(clusterName, undeclared);
  }
  const read = await reader.readServices(targets, options);
  const clusters = new Map<string, ListedCluster>();
  for (const [clusterName, listing] of listed) clusters.set(clusterName, await listing);

  const resources = new Map(read.resources);
  const managedServices: ManagedService[] = [];
  for (const cluster of managed.clusters) {
    const clusterName = lastSegment(cluster);
    const { listedNames, orphans } = clusters.get(clusterName)!;
    const inCluster: ManagedService[] = [];
    for (const name of declared.get(clusterName) ?? []) {
      const live = read.resources.get(serviceId(clusterName, name));
      if (
        live?.kind === 'EcsService' &&
        listedNames.has(name) &&
        isManagedBy(live.service.tags, managed.installationId)
      ) {
        inCluster.push({ cluster: clusterName, name });
      }
    }
    // In the order the plan met them when orphans were read after the listing: by name.
    for (const orphan of [...orphans].sort((a, b) => compareStrings(a.name, b.name))) {
      inCluster.push({ cluster: clusterName, name: orphan.name });
      resources.set(orphan.id, orphan);
    }
    managedServices.push(...inCluster.sort((a, b) => compareStrings(a.name, b.name)));
  }
  return { resources, absent: read.absent, missingClusters: read.missingClusters, managed: managedServices };
}

/** Lists `cluster`, describing the services nobody declared ten at a time while the next pages are listed. A
 * cluster that does not exist holds none. */
async function listUndeclared(
  reader: EcsLiveReader,
  cluster: string,
  declared: ReadonlySet<string>,
  managed: ManagedClusters,
  options: ReadServicesOptions,
): Promise<ListedCluster> {
  const clusterName = lastSegment(cluster);
  const listedNames = new Set<string>();
  const described: Promise<LiveEcsService[]>[] = [];
  let pending: string[] = [];
  const describe = (arns: readonly string[]) => {
    const done = reader
      .describeWithTags(cluster, arns)
      .then((services) => readManaged(reader, clusterName, services, managed.installationId, options));
    // Awaited below unless the listing fails first; then that failure is the one reported.
    done.catch(() => undefined);
    described.push(done);
  };
  let nextToken: string | undefined;
  do {
    let page: ListServicesCommandOutput;
    try {
      page = await reader.listServicesPage(cluster, nextToken);
    } catch (error) {
      if (errorName(error) === 'ClusterNotFoundException') return { listedNames: new Set(), orphans: [] };
      throw liveReadError('ECS', `ListServices in cluster ${cluster}`, error);
    }
    for (const arn of page.serviceArns ?? []) {
      const name = lastSegment(arn);
      listedNames.add(name);
      if (declared.has(name)) continue;
      pending.push(arn);
      if (pending.length === DESCRIBE_SERVICES_BATCH_SIZE) {
        describe(pending);
        pending = [];
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  if (pending.length > 0) describe(pending);
  return { listedNames, orphans: (await Promise.all(described)).flat() };
}

/** The described services `installationId` manages, each read whole; INACTIVE ones are gone and not managed. */
function readManaged(
  reader: EcsLiveReader,
  clusterName: string,
  services: readonly Service[],
  installationId: string,
  options: ReadServicesOptions,
): Promise<LiveEcsService[]> {
  const byName = new Map<string, Service>();
  for (const service of services) {
    if (service.status === 'INACTIVE' || !service.serviceName) continue;
    if (isManagedBy(service.tags, installationId)) byName.set(service.serviceName, service);
  }
  return Promise.all(
    [...byName].map(async ([name, service]) => {
      const live = await reader.wholeService(clusterName, name, describedService(service));
      options.onService?.(live);
      return live;
    }),
  );
}
