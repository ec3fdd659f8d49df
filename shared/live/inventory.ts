/** What `driftless import` reads of an account: the services of a cluster with their task definitions, tags and
 * Application Auto Scaling targets, and named stacks with their original templates, paced like the other readers. */
import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  type DescribeScalableTargetsCommandOutput,
} from '@aws-sdk/client-application-auto-scaling';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { type ECSClient, ListServicesCommand, type ListServicesCommandOutput } from '@aws-sdk/client-ecs';
import { applicationAutoScalingClient, ecsClient } from '../aws/clients.ts';
import { errorName, liveReadError } from '../aws/errors.ts';
import { ECS_CLIENT_RATES, TokenBucket } from '../aws/token-bucket.ts';
import { LiveReadError } from '../errors.ts';
import type { LiveEcsService, LiveStack } from '../plan/live-state.ts';
import { compareStrings } from '../util.ts';
import { CloudFormationLiveReader } from './cloudformation.ts';
import { DESCRIBE_SERVICES_BATCH_SIZE, EcsLiveReader, type RateLimit } from './ecs.ts';

/** DescribeScalableTargets takes at most 50 resource ids and answers at most 50 targets a page (the API maximum). */
export const SCALABLE_TARGETS_BATCH_SIZE = 50;
/** ListServices answers at most 100 ARNs a page (the API maximum). */
const LIST_SERVICES_PAGE_SIZE = 100;
/** Application Auto Scaling publishes no per-API rate for its describe calls: a modest pace that a bulk import of a
 * few hundred services stays well inside. */
export const SCALABLE_TARGET_READ_RATE: RateLimit = { capacity: 10, refillPerSecond: 5 };

export interface InventoryOptions {
  readonly ecs?: ECSClient;
  readonly cloudFormation?: CloudFormationClient;
  readonly autoScaling?: ApplicationAutoScalingClient;
  /** Clock and sleep for the token buckets (tests use virtual ones). */
  readonly now?: () => number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

export interface ScalableTargetRange {
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

export interface ServiceInventory {
  readonly services: readonly LiveEcsService[];
  /** Names asked for that ECS does not know (or that are INACTIVE). */
  readonly missing: readonly string[];
  /** Service name → its registered desired-count scalable target. */
  readonly scalableTargets: ReadonlyMap<string, ScalableTargetRange>;
}

/** Called after each batch of services is read: how many of how many. */
export type Progress = (done: number, total: number) => void;

export class AccountInventory {
  private readonly ecs: ECSClient;
  private autoScalingClient: ApplicationAutoScalingClient | undefined;
  private readonly services: EcsLiveReader;
  private readonly stacks: CloudFormationLiveReader;
  private readonly listBucket: TokenBucket;
  private readonly scalableTargetBucket: TokenBucket;

  constructor(options: InventoryOptions = {}) {
    this.ecs = options.ecs ?? ecsClient();
    this.autoScalingClient = options.autoScaling;
    const clock = {
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.services = new EcsLiveReader({ client: this.ecs, ...clock });
    this.stacks = new CloudFormationLiveReader(options.cloudFormation ? { client: options.cloudFormation } : {});
    // ListServices shares the service-read budget with DescribeServices.
    this.listBucket = new TokenBucket({ ...ECS_CLIENT_RATES.describeServices, ...clock });
    this.scalableTargetBucket = new TokenBucket({ ...SCALABLE_TARGET_READ_RATE, ...clock });
  }

  /** Every service name in the cluster (ListServices, every page), sorted. */
  async serviceNames(cluster: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      await this.listBucket.take();
      let page: ListServicesCommandOutput;
      try {
        page = await this.ecs.send(
          new ListServicesCommand({
            cluster,
            maxResults: LIST_SERVICES_PAGE_SIZE,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        if (errorName(error) === 'ClusterNotFoundException')
          throw new LiveReadError(`cluster ${cluster} does not exist`);
        throw liveReadError('ECS', `ListServices in cluster ${cluster}`, error);
      }
      for (const arn of page.serviceArns ?? []) names.push(arn.slice(arn.lastIndexOf('/') + 1));
      nextToken = page.nextToken;
    } while (nextToken);
    return names.sort(compareStrings);
  }

  /** The named services of a cluster with their task definitions (and tags) and scalable targets. */
  async readServices(cluster: string, names: readonly string[], progress?: Progress): Promise<ServiceInventory> {
    const services: LiveEcsService[] = [];
    const missing: string[] = [];
    // Read in slices so a long import can show progress; each slice is a few DescribeServices batches.
    const slice = DESCRIBE_SERVICES_BATCH_SIZE * 4;
    for (let start = 0; start < names.length; start += slice) {
      const part = names.slice(start, start + slice);
      const state = await this.services.readServices(part.map((name) => ({ cluster, name })));
      for (const name of part) {
        const live = state.resources.get(`EcsService:${clusterNameOf(cluster)}/${name}`);
        if (live?.kind === 'EcsService') services.push(live);
        else missing.push(name);
      }
      progress?.(Math.min(start + slice, names.length), names.length);
    }
    const scalableTargets = await this.scalableTargets(
      clusterNameOf(cluster),
      services.map((service) => service.name),
    );
    return { services, missing, scalableTargets };
  }

  /** The desired-count scalable targets of the services: one DescribeScalableTargets per 50 of them. */
  async scalableTargets(cluster: string, names: readonly string[]): Promise<Map<string, ScalableTargetRange>> {
    const targets = new Map<string, ScalableTargetRange>();
    for (let start = 0; start < names.length; start += SCALABLE_TARGETS_BATCH_SIZE) {
      const resourceIds = names
        .slice(start, start + SCALABLE_TARGETS_BATCH_SIZE)
        .map((name) => `service/${cluster}/${name}`);
      let nextToken: string | undefined;
      do {
        await this.scalableTargetBucket.take();
        let page: DescribeScalableTargetsCommandOutput;
        try {
          page = await this.autoScaling().send(
            new DescribeScalableTargetsCommand({
              ServiceNamespace: 'ecs',
              ScalableDimension: 'ecs:service:DesiredCount',
              ResourceIds: resourceIds,
              MaxResults: SCALABLE_TARGETS_BATCH_SIZE,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
        } catch (error) {
          throw liveReadError(
            'Application Auto Scaling',
            `DescribeScalableTargets of ${resourceIds.length} services in ${cluster}`,
            error,
          );
        }
        for (const target of page.ScalableTargets ?? []) {
          const name = target.ResourceId?.split('/')[2];
          if (name === undefined || target.MinCapacity === undefined || target.MaxCapacity === undefined) continue;
          targets.set(name, { minCapacity: target.MinCapacity, maxCapacity: target.MaxCapacity });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return targets;
  }

  /** The named stacks with their original templates; names CloudFormation does not know come back in `missing`. */
  async readStacks(names: readonly string[]): Promise<{ stacks: LiveStack[]; missing: string[] }> {
    const state = await this.stacks.readStacks(names);
    const stacks: LiveStack[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const live = state.resources.get(`CloudFormationStack:${name}`);
      if (live?.kind === 'CloudFormationStack') stacks.push(live);
      else missing.push(name);
    }
    return { stacks, missing };
  }

  /** Built on first use: an import of stacks alone needs no Application Auto Scaling client. */
  private autoScaling(): ApplicationAutoScalingClient {
    this.autoScalingClient ??= applicationAutoScalingClient();
    return this.autoScalingClient;
  }
}

function clusterNameOf(cluster: string): string {
  return cluster.startsWith('arn:') ? cluster.slice(cluster.lastIndexOf('/') + 1) : cluster;
}
