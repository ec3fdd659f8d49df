/** The one way declarations become a plan: load → confine → read live → resolve stack references → plan. A run,
 * a pull-request comment, `driftless plan` and the demo all plan through it, so all of them show the same plan. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { CloudFormationLiveReader } from '../live/cloudformation.ts';
import { EcsLiveReader, type EcsReadRates } from '../live/ecs.ts';
import { type LiveReaders, type LiveReadResult, type ReadLiveOptions, readLiveState } from '../live/read.ts';
import type { LiveEcsService, LiveState } from '../plan/live-state.ts';
import { planServiceAhead } from '../plan/plan.ts';
import {
  planWithReferences,
  type ReferencedStacks,
  type ReferencePlan,
  referencedStackNames,
  type StackOutputs,
  stackOutputsOf,
} from '../plan/references.ts';
import type { RepositoryReader } from '../spec/files.ts';
import {
  type EcsServiceDeclaration,
  type LoadOptions,
  loadRepository,
  type RepositorySnapshot,
} from '../spec/repository.ts';
import { confine } from './confine.ts';
import type { DeploymentLimits } from './types.ts';

export interface LivePlan extends ReferencePlan, LiveReadResult {}

/** The live readers for a pair of clients, when no warm process keeps its own (with their caches). */
export function liveReadersOf(clients: {
  readonly ecs: ECSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ecsReadRates?: EcsReadRates;
}): LiveReaders {
  return {
    ecs: new EcsLiveReader({
      client: clients.ecs,
      ...(clients.ecsReadRates ? { rates: clients.ecsReadRates } : {}),
    }),
    cloudFormation: new CloudFormationLiveReader({ client: clients.cloudFormation }),
  };
}

/** The declarations at a commit, confined by what the deployment allows (nothing more without limits). */
export async function loadConfined(
  source: RepositoryReader,
  at: LoadOptions,
  limits?: DeploymentLimits,
): Promise<RepositorySnapshot> {
  return confine(await loadRepository(source, at), limits);
}

/** Orphans are looked for only when they could be pruned: listing costs a ListServices page per 100 services and a
 * DescribeServices per 10 on every sweep, which a repository that never prunes should not pay. Confined first, so
 * a deployment that turns pruning off lists nothing. */
export function pruneCandidates(confined: RepositorySnapshot, installationId: string): ReadLiveOptions {
  return confined.settings?.document.spec.sync.prune === true ? { installationId } : {};
}

/** Reads live state and the outputs of the stacks services reference, and plans with the references resolved: the
 * one way a run, `driftless plan` and a pull-request comment plan, so all three show the same plan. */
export async function planAgainstLive(
  snapshot: RepositorySnapshot,
  readers: LiveReaders,
  options: ReadLiveOptions = {},
): Promise<LivePlan> {
  const read = await readLiveState(snapshot, readers, { ...options, onService: planAsRead(snapshot) });
  const stacks = await readReferencedStacks(snapshot, read.live, readers);
  const planned = planWithReferences({
    snapshot,
    live: read.live,
    ...(read.managed ? { managed: read.managed } : {}),
    stacks,
  });
  return { ...read, ...planned };
}

/** Plans each declared service as soon as its live state is read: the reads are paced by ECS's token buckets, so the
 * process is idle between them, and 5,000 services planned after the last read were a second on the sweep's critical
 * path. A failure here is left for buildPlan, which plans the service again and reports it there. */
function planAsRead(snapshot: RepositorySnapshot): (live: LiveEcsService) => void {
  const settings = snapshot.settings?.document;
  const services = new Map<string, EcsServiceDeclaration>();
  for (const declaration of snapshot.declarations)
    if (declaration.kind === 'EcsService') services.set(declaration.id, declaration);
  return (live) => {
    const declaration = services.get(live.id);
    if (!declaration) return;
    try {
      planServiceAhead(declaration, live, settings);
    } catch {
      // Planned again, and reported, by buildPlan.
    }
  };
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
