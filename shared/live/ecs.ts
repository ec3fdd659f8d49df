/** Reads ECS services and the task definitions they run, paced below the published ECS rate limits. */
import {
  type DeploymentConfiguration,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
  ListServicesCommand,
  type ListServicesCommandOutput,
  type Service,
} from '@aws-sdk/client-ecs';
import { ecsClient } from '../aws/clients.ts';
import { errorName, liveReadError } from '../aws/errors.ts';
import { ECS_CLIENT_RATES, pacedMap, TokenBucket } from '../aws/token-bucket.ts';
import { LiveReadError } from '../errors.ts';
import type { DescribedService, LiveEcsService, LiveState } from '../plan/live-state.ts';
import { compareStrings, MANAGED_BY_TAG_KEY, toJsonRecord } from '../util.ts';
import type { StoredTaskDefinition, TaskDefinitionStore } from './task-definition-store.ts';

/** DescribeServices takes at most 10 services per call (the API maximum). */
export const DESCRIBE_SERVICES_BATCH_SIZE = 10;
/** ListServices returns at most 100 ARNs per page (the API maximum). */
export const LIST_SERVICES_PAGE_SIZE = 100;
/** Requests of one kind in flight at once per call of the reader: the token buckets set the pace, this caps the
 * sockets (the SDK's default HTTP agent keeps 50). High enough that the burst is spent in a round trip or two. */
export const ECS_READ_CONCURRENCY = 48;

export interface RateLimit {
  /** Requests available at once. */
  readonly capacity: number;
  /** Requests added per second. */
  readonly refillPerSecond: number;
}

export interface EcsReadRates {
  readonly describeServices?: RateLimit;
  readonly describeTaskDefinition?: RateLimit;
}

export interface EcsLiveReaderOptions {
  /** Injected so tests and callers control region, endpoint and retries; built by ecsClient() when absent. */
  readonly client?: ECSClient;
  /** Pace of the reads; defaults to ECS_CLIENT_RATES. */
  readonly rates?: EcsReadRates;
  /** Clock in milliseconds for the token buckets (tests use a virtual one). */
  readonly now?: () => number;
  /** Sleep for the token buckets (tests use a virtual one). */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Task definitions kept across containers (shared/live/task-definition-store.ts); only memory when absent. */
  readonly store?: TaskDefinitionStore;
}

export interface ServiceTarget {
  /** Cluster name or ARN. */
  readonly cluster: string;
  /** Service name or ARN. */
  readonly name: string;
}

export interface EcsLiveState extends LiveState {
  /** Names of clusters that do not exist. Every target in them is in `absent`, since a service cannot outlive its
   * cluster; reported so callers can tell a deleted cluster from deleted services. */
  readonly missingClusters: ReadonlySet<string>;
}

type CachedTaskDefinition = StoredTaskDefinition;

export interface ReadServicesOptions {
  /** Called with each service as soon as it and its task definition are read, before the other reads end. */
  readonly onService?: (live: LiveEcsService) => void;
}

interface ClusterTargets {
  /** The cluster as the caller first named it (name or ARN), passed on to ECS as is. */
  readonly reference: string;
  readonly names: Set<string>;
}

interface Batch {
  readonly clusterName: string;
  readonly reference: string;
  readonly names: readonly string[];
}

type BatchResult =
  | { readonly clusterMissing: true; readonly batch: Batch }
  | {
      readonly clusterMissing: false;
      readonly batch: Batch;
      readonly services: Map<string, DescribedService | undefined>;
    };

export class EcsLiveReader {
  private readonly client: ECSClient;
  private readonly describeServicesBucket: TokenBucket;
  private readonly describeTaskDefinitionBucket: TokenBucket;
  /** Task definition ARN → its description. Revisions are immutable, so entries live as long as the reader; a
   * pending promise is shared by everyone asking for the same ARN, and a failed one is dropped so a later call
   * tries again. */
  private readonly taskDefinitions = new Map<string, Promise<CachedTaskDefinition>>();
  /** Where task definitions outlive this reader, when anywhere. */
  readonly store: TaskDefinitionStore | undefined;

  constructor(options: EcsLiveReaderOptions = {}) {
    this.client = options.client ?? ecsClient();
    this.store = options.store;
    const clock = {
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.describeServicesBucket = new TokenBucket({
      ...(options.rates?.describeServices ?? ECS_CLIENT_RATES.describeServices),
      ...clock,
    });
    this.describeTaskDefinitionBucket = new TokenBucket({
      ...(options.rates?.describeTaskDefinition ?? ECS_CLIENT_RATES.describeTaskDefinition),
      ...clock,
    });
  }

  /** Describes each target with the task definition it runs. A target is absent when ECS reports it MISSING or
   * INACTIVE, or when its cluster does not exist; any other failure raises a LiveReadError. */
  async readServices(targets: readonly ServiceTarget[], options: ReadServicesOptions = {}): Promise<EcsLiveState> {
    const clusters = new Map<string, ClusterTargets>();
    for (const target of targets) {
      const clusterName = lastSegment(target.cluster);
      let cluster = clusters.get(clusterName);
      if (!cluster) {
        cluster = { reference: target.cluster, names: new Set() };
        clusters.set(clusterName, cluster);
      }
      cluster.names.add(lastSegment(target.name));
    }

    const batches: Batch[] = [];
    for (const [clusterName, { reference, names }] of clusters) {
      for (const chunk of chunks([...names], DESCRIBE_SERVICES_BATCH_SIZE)) {
        batches.push({ clusterName, reference, names: chunk });
      }
    }
    // Each batch's task definitions are asked for as soon as its services arrive, so both buckets drain at once, and
    // each service is handed to `onService` as soon as it is whole, so its planning need not wait for the last read.
    const built = new Map<string, Promise<LiveEcsService>>();
    const results = await pacedMap(batches, this.describeServicesBucket, ECS_READ_CONCURRENCY, async (batch) => {
      const result = await this.describeBatch(batch);
      if (result.clusterMissing) return result;
      for (const [name, service] of result.services) {
        if (service === undefined) continue;
        const id = serviceId(batch.clusterName, name);
        const resource = this.wholeService(batch.clusterName, name, service).then((live) => {
          options.onService?.(live);
          return live;
        });
        // Awaited below unless a later batch fails first; then its failure is the one reported.
        resource.catch(() => undefined);
        built.set(id, resource);
      }
      return result;
    });

    const absent = new Set<string>();
    const missingClusters = new Set<string>();
    const present: Promise<LiveEcsService>[] = [];
    for (const result of results) {
      const { clusterName, names } = result.batch;
      if (result.clusterMissing) {
        missingClusters.add(clusterName);
        for (const name of names) absent.add(serviceId(clusterName, name));
        continue;
      }
      for (const name of names) {
        const id = serviceId(clusterName, name);
        const resource = built.get(id);
        if (resource) present.push(resource);
        else absent.add(id);
      }
    }
    const resources = new Map((await Promise.all(present)).map((live) => [live.id, live]));
    return { resources, absent, missingClusters };
  }

  /** One DescribeServices with tags, its token taken here: the services ECS answers with (a missing cluster has
   * none; failures, MISSING included, are left out, as a listing's services can go while it is read). */
  async describeWithTags(cluster: string, services: readonly string[]): Promise<Service[]> {
    await this.describeServicesBucket.take();
    return this.describeTagged(cluster, services);
  }

  private async describeTagged(cluster: string, services: readonly string[]): Promise<Service[]> {
    try {
      const response = await this.client.send(
        new DescribeServicesCommand({ cluster, services: [...services], include: ['TAGS'] }),
      );
      return response.services ?? [];
    } catch (error) {
      if (errorName(error) === 'ClusterNotFoundException') return [];
      throw liveReadError('ECS', `DescribeServices of ${services.length} services in cluster ${cluster}`, error);
    }
  }

  /** A described service with the task definition it runs. */
  async wholeService(clusterName: string, name: string, service: DescribedService): Promise<LiveEcsService> {
    const arn = service.taskDefinition;
    if (typeof arn !== 'string' || arn === '') {
      throw new LiveReadError(`ECS DescribeServices returned ${clusterName}/${name} without a task definition`);
    }
    const definition = await this.taskDefinition(arn);
    return {
      kind: 'EcsService',
      id: serviceId(clusterName, name),
      cluster: clusterName,
      name,
      service,
      taskDefinition: definition.taskDefinition,
      taskDefinitionTags: definition.tags,
    };
  }

  /** Services in `cluster` tagged driftless:managed-by=`installationId`, for finding orphans. A cluster that does not
   * exist holds none. */
  async listManagedServices(cluster: string, installationId: string): Promise<{ cluster: string; name: string }[]> {
    const clusterName = lastSegment(cluster);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      let page: ListServicesCommandOutput;
      try {
        page = await this.listServicesPage(cluster, nextToken);
      } catch (error) {
        if (errorName(error) === 'ClusterNotFoundException') return [];
        throw liveReadError('ECS', `ListServices in cluster ${cluster}`, error);
      }
      arns.push(...(page.serviceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);

    const batches = chunks(arns, DESCRIBE_SERVICES_BATCH_SIZE);
    const pages = await pacedMap(batches, this.describeServicesBucket, ECS_READ_CONCURRENCY, (batch) =>
      this.describeTagged(cluster, batch),
    );
    const managed: { cluster: string; name: string }[] = [];
    for (const page of pages) {
      for (const service of page) {
        if (service.status === 'INACTIVE' || !service.serviceName) continue;
        if (isManagedBy(service.tags, installationId))
          managed.push({ cluster: clusterName, name: service.serviceName });
      }
    }
    return managed.sort((a, b) => compareStrings(a.name, b.name));
  }

  /** One service's deployment configuration (circuit breaker, alarms); undefined when ECS describes no such service. */
  async deploymentConfiguration(cluster: string, name: string): Promise<DeploymentConfiguration | undefined> {
    await this.describeServicesBucket.take();
    try {
      const response = await this.client.send(new DescribeServicesCommand({ cluster, services: [name] }));
      return response.services?.[0]?.deploymentConfiguration;
    } catch (error) {
      throw liveReadError('ECS', `DescribeServices of ${name} in cluster ${cluster}`, error);
    }
  }

  listServicesPage(cluster: string, nextToken: string | undefined): Promise<ListServicesCommandOutput> {
    return this.client.send(
      new ListServicesCommand({ cluster, maxResults: LIST_SERVICES_PAGE_SIZE, ...(nextToken ? { nextToken } : {}) }),
    );
  }

  /** One DescribeServices call, its token already taken; maps each name to its service, or to undefined when it is
   * MISSING or INACTIVE. */
  private async describeBatch(batch: Batch): Promise<BatchResult> {
    const what = `DescribeServices of ${batch.names.length} services in cluster ${batch.reference}`;
    let response: DescribeServicesCommandOutput;
    try {
      response = await this.client.send(
        new DescribeServicesCommand({ cluster: batch.reference, services: [...batch.names], include: ['TAGS'] }),
      );
    } catch (error) {
      if (errorName(error) === 'ClusterNotFoundException') return { clusterMissing: true, batch };
      throw liveReadError('ECS', what, error);
    }

    const byName = new Map<string, Service>();
    for (const service of response.services ?? []) {
      if (!service.serviceName) continue;
      // A name can be reused once its service is INACTIVE; should ECS answer with both, the live one wins.
      const seen = byName.get(service.serviceName);
      if (!seen || seen.status === 'INACTIVE') byName.set(service.serviceName, service);
    }
    const missing = new Set<string>();
    for (const failure of response.failures ?? []) {
      const name = failure.arn === undefined ? undefined : lastSegment(failure.arn);
      if (failure.reason === 'MISSING' && name !== undefined) {
        missing.add(name);
        continue;
      }
      const detail = failure.detail ? ` (${failure.detail})` : '';
      throw new LiveReadError(`ECS ${what} failed for ${failure.arn}: ${failure.reason}${detail}`);
    }

    const services = new Map<string, DescribedService | undefined>();
    for (const name of batch.names) {
      const service = byName.get(name);
      if (service && service.status !== 'INACTIVE') services.set(name, describedService(service));
      else if (service || missing.has(name)) services.set(name, undefined);
      else throw new LiveReadError(`ECS ${what} said nothing about service ${name}`);
    }
    return { clusterMissing: false, batch, services };
  }

  private taskDefinition(arn: string): Promise<CachedTaskDefinition> {
    const cached = this.taskDefinitions.get(arn);
    if (cached) return cached;
    const pending = this.fetchTaskDefinition(arn);
    this.taskDefinitions.set(arn, pending);
    pending.catch(() => {
      if (this.taskDefinitions.get(arn) === pending) this.taskDefinitions.delete(arn);
    });
    return pending;
  }

  private async fetchTaskDefinition(arn: string): Promise<CachedTaskDefinition> {
    const stored = await this.store?.get(arn);
    if (stored) return deepFreeze(stored);
    const described = await this.describeTaskDefinition(arn);
    await this.store?.put(arn, described);
    return deepFreeze(described);
  }

  private async describeTaskDefinition(arn: string): Promise<CachedTaskDefinition> {
    await this.describeTaskDefinitionBucket.take();
    let response: DescribeTaskDefinitionCommandOutput;
    try {
      response = await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    } catch (error) {
      throw liveReadError('ECS', `DescribeTaskDefinition ${arn}`, error);
    }
    if (!response.taskDefinition) {
      throw new LiveReadError(`ECS DescribeTaskDefinition ${arn} returned no task definition`);
    }
    return {
      taskDefinition: toJsonRecord(response.taskDefinition),
      tags: (response.tags ?? []).map((tag) => ({ key: tag.key ?? '', value: tag.value ?? '' })),
    };
  }
}

/** A service as JSON, made as its batch arrives so the SDK's objects do not wait for the whole sweep, and without its
 * `events`: ECS keeps the last 100 messages of each service (tens of kilobytes), which nothing plans with. */
export function describedService(service: Service): DescribedService {
  const { events: _events, ...planned } = service;
  return toJsonRecord(planned);
}

/** Whether a service's tags (as ECS answers them, or as JSON) say `installationId` manages it. */
export function isManagedBy(tags: unknown, installationId: string): boolean {
  return (
    Array.isArray(tags) &&
    tags.some(
      (tag: { key?: unknown; value?: unknown } | null) =>
        tag?.key === MANAGED_BY_TAG_KEY && tag.value === installationId,
    )
  );
}

/** EcsService:<cluster name>/<service name>. */
export function serviceId(clusterName: string, serviceName: string): string {
  return `EcsService:${clusterName}/${serviceName}`;
}

/** The name at the end of an ARN (arn:…:cluster/prod → prod, arn:…:service/prod/web → web); a name is kept as is. */
export function lastSegment(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const slash = nameOrArn.lastIndexOf('/');
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + 1);
}

/** Cached descriptions are shared by every result that uses them: frozen so no caller can change another's copy. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
