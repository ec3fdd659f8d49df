/** Prunes: deletes what this installation manages and Git no longer declares, a service scaled to 0 first, a stack
 * once CloudFormation is done with it; what it does not manage it refuses to touch. */
import { DeleteStackCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DeleteServiceCommand, DescribeServicesCommand, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { errorName } from '../aws/errors.ts';
import { isStackBusy } from '../plan/health.ts';
import { MANAGED_BY_TAG_KEY } from '../util.ts';
import type { ApplyInput } from './contract.ts';
import { requireService, serviceReferences } from './ecs-writer.ts';
import { unmanagedReason } from './guards.ts';
import { type Journal, messageOf } from './journal.ts';
import type { Decision, ResourceGroup, ResourceState } from './resource.ts';

export class Pruner {
  constructor(
    private readonly input: ApplyInput,
    private readonly journal: Journal,
  ) {}

  /** Deletes the resource once the prune guards and its declaration have let it go. */
  prune(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    return group.kind === 'EcsService' ? this.pruneService(group, state) : this.pruneStack(group, state);
  }

  private async pruneService(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const [cluster = '', name = ''] = splitOnce(group.id.slice('EcsService:'.length), '/');
    const ecs = this.input.clients.ecs;
    let service: Service | undefined;
    try {
      const described = await this.journal.read(this.journal.buckets.describeServices, () =>
        ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] })),
      );
      service = described.services?.find(
        (candidate) => candidate.serviceName === name && candidate.status !== 'INACTIVE',
      );
    } catch (error) {
      if (errorName(error) !== 'ClusterNotFoundException') throw error;
    }
    if (!service) return { outcome: 'in-sync', reason: 'the service no longer exists' };
    const managed = service.tags?.some(
      (tag) => tag.key === MANAGED_BY_TAG_KEY && tag.value === this.input.installationId,
    );
    if (!managed) return this.refuseUnmanaged(group);
    if (service.status === 'DRAINING') return { outcome: 'in-sync', reason: 'the service is being deleted already' };

    const desiredCount = service.desiredCount ?? 0;
    if (service.schedulingStrategy !== 'DAEMON' && desiredCount > 0) {
      await this.journal.write(state, {
        api: 'UpdateService',
        changes: [{ path: '/spec/desiredCount', before: desiredCount, after: 0 }],
        bucket: this.journal.buckets.serviceWrites,
        reason: 'prune: scale to 0 before deleting',
        send: async () =>
          requireService(
            (await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 }))).service,
            'UpdateService',
          ),
        references: serviceReferences,
      });
    }
    await this.journal.write(state, {
      api: 'DeleteService',
      changes: [],
      bucket: this.journal.buckets.serviceWrites,
      reason: 'prune: no longer declared in Git',
      send: async () =>
        requireService(
          (await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: false }))).service,
          'DeleteService',
        ),
      references: (deleted) => (deleted.serviceArn ? { serviceArn: deleted.serviceArn } : {}),
    });
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  private async pruneStack(group: ResourceGroup, state: ResourceState): Promise<Decision> {
    const name = group.id.slice('CloudFormationStack:'.length);
    const cloudFormation = this.input.clients.cloudFormation;
    let stack: Stack | undefined;
    try {
      const described = await this.journal.read(undefined, () =>
        cloudFormation.send(new DescribeStacksCommand({ StackName: name })),
      );
      stack = described.Stacks?.[0];
    } catch (error) {
      if (!(errorName(error) === 'ValidationError' && /does not exist/i.test(messageOf(error)))) throw error;
    }
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
      return { outcome: 'in-sync', reason: 'the stack no longer exists' };
    }
    const managed = stack.Tags?.some(
      (tag) => tag.Key === MANAGED_BY_TAG_KEY && tag.Value === this.input.installationId,
    );
    if (!managed) return this.refuseUnmanaged(group);
    const status = stack.StackStatus ?? '';
    if (status === 'DELETE_IN_PROGRESS') return { outcome: 'in-sync', reason: 'the stack is being deleted already' };
    if (isStackBusy(status)) {
      return { outcome: 'waiting', reason: `the stack is ${status}; it is pruned once CloudFormation has finished` };
    }
    const stackId = stack.StackId;
    await this.journal.write(state, {
      api: 'DeleteStack',
      changes: [],
      bucket: this.journal.buckets.cloudFormationWrites,
      reason: 'prune: no longer declared in Git',
      send: async () => {
        await cloudFormation.send(new DeleteStackCommand({ StackName: stackId ?? name }));
      },
      references: () => (stackId ? { stackId } : {}),
    });
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  private refuseUnmanaged(group: ResourceGroup): Promise<Decision> {
    return this.journal.refuse(group.id, undefined, 'Prune', unmanagedReason(group.id, this.input.installationId));
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index + separator.length)];
}
