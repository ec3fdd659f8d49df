/** Reads the live state a plan needs: every declared resource, and (for prune candidates) what this installation
 * manages, through the ECS and CloudFormation readers. */

import type { LiveResource, LiveState } from '../plan/live-state.ts';
import type { ManagedResource } from '../plan/plan.ts';
import {
  planWithReferences,
  type ReferencedStacks,
  type ReferencePlan,
  referencedStackNames,
  type StackOutputs,
  stackOutputsOf,
} from '../plan/references.ts';
import { clusterName } from '../spec/checks.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { CloudFormationLiveReader } from './cloudformation.ts';
import type { EcsLiveReader } from './ecs.ts';

export interface LiveReaders {
  readonly ecs: EcsLiveReader;
  readonly cloudFormation: CloudFormationLiveReader;
}

export interface ReadLiveOptions {
  /** When set, resources tagged driftless:managed-by=<id> are listed as prune candidates. */
  readonly installationId?: string;
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
      ? [{ cluster: declaration.document.metadata.cluster, name: declaration.document.metadata.name }]
      : [],
  );
  const stacks = snapshot.declarations.flatMap((declaration) =>
    declaration.kind === 'CloudFormationStack' ? [declaration.document.metadata.name] : [],
  );

  let managed: ManagedResource[] | undefined;
  if (options.installationId !== undefined && snapshot.settings) {
    const targets = snapshot.settings.document.spec.targets;
    const [managedServices, managedStacks] = await Promise.all([
      Promise.all(targets.clusters.map((cluster) => readers.ecs.listManagedServices(cluster, options.installationId!))),
      readers.cloudFormation.listManagedStacks(options.installationId, targets.stackNamePrefix),
    ]);
    const declared = new Set(snapshot.declarations.map((declaration) => declaration.id));
    managed = [];
    for (const service of managedServices.flat()) {
      managed.push({ id: `EcsService:${clusterName(service.cluster)}/${service.name}`, kind: 'EcsService' });
      if (!declared.has(managed.at(-1)!.id)) services.push(service);
    }
    for (const name of managedStacks) {
      managed.push({ id: `CloudFormationStack:${name}`, kind: 'CloudFormationStack' });
      if (!declared.has(`CloudFormationStack:${name}`)) stacks.push(name);
    }
  }

  const [ecs, cloudFormation] = await Promise.all([
    readers.ecs.readServices(services),
    readers.cloudFormation.readStacks(stacks),
  ]);
  const resources = new Map<string, LiveResource>([...ecs.resources, ...cloudFormation.resources]);
  const absent = new Set([...ecs.absent, ...cloudFormation.absent]);
  return {
    live: { resources, absent },
    ...(managed ? { managed } : {}),
    missingClusters: [...ecs.missingClusters],
  };
}

export interface LivePlan extends ReferencePlan, LiveReadResult {}

/** Reads live state and the outputs of the stacks services reference, and plans with the references resolved: the
 * one way a run, `driftless plan` and a pull-request comment plan, so all three show the same plan. */
export async function planAgainstLive(
  snapshot: RepositorySnapshot,
  readers: LiveReaders,
  options: ReadLiveOptions = {},
): Promise<LivePlan> {
  const read = await readLiveState(snapshot, readers, options);
  const stacks = await readReferencedStacks(snapshot, read.live, readers);
  const planned = planWithReferences({
    snapshot,
    live: read.live,
    ...(read.managed ? { managed: read.managed } : {}),
    stacks,
  });
  return { ...read, ...planned };
}

/** The outputs of every stack the snapshot's services reference: declared stacks from the live state already read,
 * others by DescribeStacks (a stack that does not exist is undefined, not an error). */
export async function readReferencedStacks(
  snapshot: RepositorySnapshot,
  live: LiveState,
  readers: LiveReaders,
): Promise<ReferencedStacks> {
  const names = referencedStackNames(snapshot);
  const stacks = new Map<string, StackOutputs | undefined>();
  const unread: string[] = [];
  for (const name of names) {
    const resource = live.resources.get(`CloudFormationStack:${name}`);
    if (resource?.kind === 'CloudFormationStack') stacks.set(name, stackOutputsOf(resource.stack));
    else if (live.absent.has(`CloudFormationStack:${name}`)) stacks.set(name, undefined);
    else unread.push(name);
  }
  if (unread.length > 0) {
    const described = await readers.cloudFormation.describeStacks(unread);
    for (const name of unread) {
      const stack = described.get(name);
      stacks.set(name, stack ? stackOutputsOf(stack) : undefined);
    }
  }
  return stacks;
}
