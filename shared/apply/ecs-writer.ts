/** Service writes: the task definition revision a declaration needs, then CreateService or UpdateService, then the
 * tags UpdateService cannot set. */
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { AwsReferences } from '../audit/ledger.ts';
import { errorName } from '../aws/errors.ts';
import { TerminalError } from '../errors.ts';
import { RolloutReader } from '../live/rollouts.ts';
import { type FieldChange, isUnderPointer, jsonEqual } from '../plan/diff.ts';
import { isSystemTag, normalizeTaskDefinition } from '../plan/normalize.ts';
import type { Action } from '../plan/plan.ts';
import type { Declaration, EcsServiceDeclaration } from '../spec/repository.ts';
import { MANAGED_BY_TAG_KEY, toJsonRecord } from '../util.ts';
import type { ApplyInput } from './contract.ts';
import { type Journal, messageOf } from './journal.ts';
import {
  createServiceInput,
  type Provenance,
  provenanceOf,
  registerTaskDefinitionInput,
  serviceTags,
  updateServiceInput,
} from './requests.ts';
import { type Decision, desiredHashOf, type ResourceGroup, type ResourceState } from './resource.ts';

const DRY_RUN_PLACEHOLDER_ARN = '(registered at apply)';

/** A service write's answer, with the rollout it started when ListServiceDeployments found it. */
interface ServiceWritten {
  readonly service: Service;
  readonly serviceDeploymentArn?: string;
  /** Why the rollout is not recorded, when it is not. */
  readonly note?: string;
}

export class EcsWriter {
  private readonly rollouts: RolloutReader;

  constructor(
    private readonly input: ApplyInput,
    private readonly journal: Journal,
  ) {
    this.rollouts = new RolloutReader({ client: input.clients.ecs, now: journal.now, sleep: journal.sleep });
  }

  async applyService(
    declaration: EcsServiceDeclaration,
    group: ResourceGroup,
    state: ResourceState,
  ): Promise<Decision> {
    const find = (type: Action['type']) => group.actions.find((action) => action.type === type);
    const provenance = provenanceOf(
      declaration,
      this.input.installationId,
      this.input.plan.commitId,
      desiredHashOf(group),
    );
    const create = find('create');
    if (create) {
      const taskDefinitionChanges = create.changes.filter((change) => isTaskDefinitionPath(change.path));
      const arn = await this.ensureTaskDefinition(declaration, provenance, taskDefinitionChanges, state);
      const serviceChanges = create.changes.filter((change) => !isTaskDefinitionPath(change.path));
      await this.createService(declaration, provenance, arn, serviceChanges, state);
    } else {
      const register = find('register-task-definition');
      const arn = register
        ? await this.ensureTaskDefinition(declaration, provenance, register.changes, state)
        : undefined;
      const update = find('update');
      if (update) {
        const live = this.input.live.resources.get(declaration.id);
        const liveService = live?.kind === 'EcsService' ? live.service : undefined;
        let serviceArn = typeof liveService?.serviceArn === 'string' ? liveService.serviceArn : undefined;
        const tagsOnly =
          !register &&
          update.changes.length > 0 &&
          update.changes.every((change) => isUnderPointer(change.path, '/spec/tags'));
        if (!tagsOnly) {
          const updated = await this.updateService(declaration, arn, update.changes, state);
          serviceArn = updated?.serviceArn ?? serviceArn;
        }
        await this.tagService(declaration, provenance, serviceArn, liveService?.tags, update.changes, state);
      }
    }
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  /** True when the live service carries no management tag at all: made outside driftless. One tagged by another
   * installation is that installation's, and re-tagging it on every in-sync run would have the two fight. */
  isUnclaimed(declaration: EcsServiceDeclaration): boolean {
    const live = this.input.live.resources.get(declaration.id);
    if (live?.kind !== 'EcsService') return false;
    const tags = Array.isArray(live.service.tags) ? live.service.tags : [];
    return !tags.some((tag: { key?: unknown }) => tag?.key === MANAGED_BY_TAG_KEY);
  }

  /** Claims an in-sync service driftless did not make: TagResource with the provenance tags, and nothing else, so
   * adopting a running service registers no revision and starts no deployment. From then on it is managed (and
   * can be pruned once Git stops declaring it). */
  async claimService(
    declaration: EcsServiceDeclaration,
    group: ResourceGroup,
    state: ResourceState,
  ): Promise<Decision> {
    const live = this.input.live.resources.get(declaration.id);
    const liveService = live?.kind === 'EcsService' ? live.service : undefined;
    const serviceArn = typeof liveService?.serviceArn === 'string' ? liveService.serviceArn : undefined;
    const provenance = provenanceOf(
      declaration,
      this.input.installationId,
      this.input.plan.commitId,
      desiredHashOf(group),
    );
    await this.tagService(declaration, provenance, serviceArn, liveService?.tags, [], state);
    return { outcome: state.dryRunWrites > 0 ? 'dry-run' : 'applied' };
  }

  /** The ARN of a revision with the declared content: the family's latest ACTIVE one when equal (a run that stopped
   * between RegisterTaskDefinition and UpdateService finishes without a second revision), else a new one.
   * Undefined on a dry run that would register. */
  private async ensureTaskDefinition(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<string | undefined> {
    const desired = registerTaskDefinitionInput(declaration, provenance);
    const existing = await this.equalRevision(desired);
    if (existing) {
      state.references = { ...state.references, taskDefinitionArn: existing };
      return existing;
    }
    const written = await this.journal.write(state, {
      api: 'RegisterTaskDefinition',
      changes,
      bucket: this.journal.buckets.registerTaskDefinition,
      send: async () => {
        const output = await this.input.clients.ecs.send(
          new RegisterTaskDefinitionCommand(desired as RegisterTaskDefinitionCommandInput),
        );
        const arn = output.taskDefinition?.taskDefinitionArn;
        if (!arn) throw new TerminalError('RegisterTaskDefinition answered without a task definition ARN');
        return arn;
      },
      references: (arn) => ({ taskDefinitionArn: arn }),
      // A timed-out RegisterTaskDefinition may have registered the revision: look before registering another.
      beforeRetry: async () => {
        const arn = await this.equalRevision(desired);
        return arn === undefined ? undefined : { value: arn };
      },
    });
    return written.dryRun ? undefined : written.output;
  }

  /** The family's latest ACTIVE revision when it equals `desired` in canonical form (driftless:* tags aside). */
  private async equalRevision(desired: ReturnType<typeof registerTaskDefinitionInput>): Promise<string | undefined> {
    let described: DescribeTaskDefinitionCommandOutput;
    try {
      described = await this.journal.read(this.journal.buckets.describeTaskDefinition, () =>
        this.input.clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: desired.family, include: ['TAGS'] }),
        ),
      );
    } catch (error) {
      // What ECS answers for a family without an ACTIVE revision.
      if (errorName(error) === 'ClientException' && /unable to describe task definition/i.test(messageOf(error))) {
        return undefined;
      }
      throw error;
    }
    const taskDefinition = described.taskDefinition;
    if (!taskDefinition?.taskDefinitionArn || taskDefinition.status !== 'ACTIVE') return undefined;
    const live = normalizeTaskDefinition(toJsonRecord(taskDefinition), described.tags ?? []);
    const wanted = normalizeTaskDefinition(desired as unknown as Record<string, unknown>);
    return jsonEqual(live, wanted) ? taskDefinition.taskDefinitionArn : undefined;
  }

  private async createService(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    taskDefinitionArn: string | undefined,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<void> {
    const input = createServiceInput(declaration, taskDefinitionArn ?? DRY_RUN_PLACEHOLDER_ARN, provenance);
    const { cluster, serviceName } = input;
    // Before the first attempt: a retry or a recovery looks for the rollout any attempt may have started.
    const since = this.journal.now();
    await this.journal.write(state, {
      api: 'CreateService',
      changes,
      bucket: this.journal.buckets.serviceWrites,
      send: async () => {
        if (taskDefinitionArn === undefined) throw new TerminalError('no task definition to create the service with');
        const output = await this.input.clients.ecs.send(new CreateServiceCommand(input as CreateServiceCommandInput));
        return this.withRollout(requireService(output.service, 'CreateService'), cluster, serviceName, since);
      },
      references: writtenReferences,
      outcomeNote: (written) => written.note,
      // A CreateService whose response was lost may have created the service: ECS then refuses the retry as "not
      // idempotent". It is a success when the service is there, running the task definition asked for.
      recover: async (error) => {
        if (errorName(error) !== 'InvalidParameterException' || !/not idempotent/i.test(messageOf(error))) {
          return undefined;
        }
        const described = await this.journal.read(this.journal.buckets.describeServices, () =>
          this.input.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
        );
        const service = described.services?.find(
          (candidate) => candidate.serviceName === serviceName && candidate.status === 'ACTIVE',
        );
        return service && service.taskDefinition === taskDefinitionArn
          ? { value: await this.withRollout(service, cluster, serviceName, since) }
          : undefined;
      },
    });
  }

  private async updateService(
    declaration: EcsServiceDeclaration,
    taskDefinitionArn: string | undefined,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<Service | undefined> {
    const rules = this.ignoreRules(declaration);
    const omitDesiredCount = rules.some((rule) => isUnderPointer('/spec/desiredCount', rule));
    const input = withoutIgnoredFields(updateServiceInput(declaration, taskDefinitionArn, { omitDesiredCount }), rules);
    const since = this.journal.now();
    const written = await this.journal.write(state, {
      api: 'UpdateService',
      changes,
      bucket: this.journal.buckets.serviceWrites,
      send: async () => {
        const output = await this.input.clients.ecs.send(new UpdateServiceCommand(input as UpdateServiceCommandInput));
        return this.withRollout(requireService(output.service, 'UpdateService'), input.cluster, input.service, since);
      },
      references: writtenReferences,
      outcomeNote: (written) => written.note,
    });
    return written.dryRun ? undefined : written.output.service;
  }

  /** UpdateService takes no tags: TagResource sets the declared and provenance tags, UntagResource removes declared
   * tags no longer declared. */
  private async tagService(
    declaration: EcsServiceDeclaration,
    provenance: Provenance,
    serviceArn: string | undefined,
    liveTags: unknown,
    changes: readonly FieldChange[],
    state: ResourceState,
  ): Promise<void> {
    const tags = serviceTags(declaration, provenance);
    const tagChanges = changes.filter((change) => isUnderPointer(change.path, '/spec/tags'));
    const resourceArn = serviceArn ?? '';
    const send = async <T>(command: () => Promise<T>) => {
      if (!serviceArn) throw new TerminalError(`no service ARN for ${declaration.id} to tag`);
      return command();
    };
    // Only tags that differ are written: a drift revert at the same commit finds them all in place already, and
    // every write spends the service-write budget ECS shares with the rollouts.
    const current = new Map(
      (Array.isArray(liveTags) ? liveTags : []).map((tag: { key?: unknown; value?: unknown }) => [
        String(tag?.key),
        String(tag?.value ?? ''),
      ]),
    );
    const outdated = tags.filter((tag) => current.get(tag.key) !== tag.value);
    if (outdated.length > 0) {
      await this.journal.write(state, {
        api: 'TagResource',
        changes: tagChanges,
        bucket: this.journal.buckets.serviceWrites,
        reason: 'the declared tags and driftless provenance',
        send: () =>
          send(() =>
            this.input.clients.ecs.send(
              new TagResourceCommand({ resourceArn, tags: outdated.map((tag) => ({ ...tag })) }),
            ),
          ),
        references: () => ({ serviceArn: resourceArn }),
      });
    }
    const declaredKeys = new Set(tags.map((tag) => tag.key));
    const stale = (Array.isArray(liveTags) ? liveTags : [])
      .map((tag: { key?: unknown }) => (typeof tag?.key === 'string' ? tag.key : undefined))
      .filter((key): key is string => key !== undefined && !isSystemTag(key) && !declaredKeys.has(key));
    if (stale.length === 0) return;
    await this.journal.write(state, {
      api: 'UntagResource',
      changes: tagChanges,
      bucket: this.journal.buckets.serviceWrites,
      reason: `tags no longer declared: ${stale.join(', ')}`,
      send: () => send(() => this.input.clients.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: stale }))),
      references: () => ({ serviceArn: resourceArn }),
    });
  }

  /** The rollout the write started: the newest service deployment created since the write began (one
   * ListServiceDeployments call). The write has happened: a failure to find it is noted, never thrown. */
  private async withRollout(
    service: Service,
    cluster: string | undefined,
    serviceName: string | undefined,
    since: number,
  ): Promise<ServiceWritten> {
    if (!cluster || !serviceName) return { service, note: 'rollout not recorded: no cluster or service name' };
    try {
      // The journal retries a throttled or failed read by the SDK error, which the reader keeps as the cause.
      const arn = await this.journal.read(undefined, () =>
        this.rollouts.newestSince(cluster, serviceName, new Date(since)).catch((error: unknown) => {
          throw error instanceof Error && error.cause !== undefined ? error.cause : error;
        }),
      );
      return arn
        ? { service, serviceDeploymentArn: arn }
        : { service, note: 'rollout not recorded: ECS listed no service deployment started by this write' };
    } catch (error) {
      return { service, note: `rollout not recorded: ListServiceDeployments failed: ${messageOf(error)}` };
    }
  }

  private ignoreRules(declaration: Declaration): string[] {
    const settings = this.input.snapshot.settings?.document;
    return [...(settings?.spec.sync.ignore[declaration.kind] ?? []), ...(declaration.document.sync?.ignore ?? [])];
  }
}

function isTaskDefinitionPath(path: string): boolean {
  return isUnderPointer(path, '/spec/taskDefinition');
}

export function requireService(service: Service | undefined, api: string): Service {
  if (!service) throw new TerminalError(`${api} answered without a service`);
  return service;
}

export function serviceReferences(service: Service): AwsReferences {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  return {
    ...(service.serviceArn ? { serviceArn: service.serviceArn } : {}),
    ...(service.taskDefinition ? { taskDefinitionArn: service.taskDefinition } : {}),
    ...(primary?.id ? { deploymentId: primary.id } : {}),
  };
}

function writtenReferences(written: ServiceWritten): AwsReferences {
  return {
    ...serviceReferences(written.service),
    ...(written.serviceDeploymentArn ? { serviceDeploymentArn: written.serviceDeploymentArn } : {}),
  };
}

/** Fields UpdateService must not send because an ignore rule names them ("neither compared nor sent"). A rule is
 * followed through plain objects only: one that points into a list (canonical lists are keyed by name) is left to the
 * planner, and the fields naming the service and its task definition are always sent. */
function withoutIgnoredFields<T extends object>(input: T, rules: readonly string[]): T {
  const copy = structuredClone(input) as Record<string, unknown>;
  for (const rule of rules) {
    if (!rule.startsWith('/spec/') || isUnderPointer(rule, '/spec/taskDefinition')) continue;
    const segments = rule
      .slice('/spec/'.length)
      .split('/')
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (segments.length === 1 && ['cluster', 'service', 'taskDefinition'].includes(segments[0] ?? '')) continue;
    let node: unknown = copy;
    for (const segment of segments.slice(0, -1)) node = isPlainObject(node) ? node[segment] : undefined;
    if (isPlainObject(node)) delete node[segments.at(-1) ?? ''];
  }
  return copy as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
