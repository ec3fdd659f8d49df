/** The simulated ECS task definition registry: revisions numbered per family, found by ARN, family:revision or
 * family, registered and deregistered as ECS does it. */
import type {
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  RegisterTaskDefinitionRequest,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { ecsArn } from './ecs-defaults.ts';
import {
  compatibilities,
  fillContainer,
  fillVolume,
  requiresAttributes,
  validateTaskDefinition,
} from './ecs-task-definition-defaults.ts';
import { ecsErrors } from './errors.ts';

/** A task definition revision and the tags registered with it (DescribeTaskDefinition returns them apart). */
export interface SimulatedTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

export class TaskDefinitionRegistry {
  /** Task definition ARN → revision. */
  private readonly taskDefinitionsByArn = new Map<string, SimulatedTaskDefinition>();
  /** Family → last revision number handed out (deregistered revisions keep their number). */
  private readonly lastRevision = new Map<string, number>();

  constructor(private readonly context: SimulatorContext) {}

  /** Registers a revision: validates as ECS does, numbers it, fills the defaults ECS fills. */
  register(input: RegisterTaskDefinitionRequest): SimulatedTaskDefinition {
    const { tags, ...spec } = input;
    validateTaskDefinition(spec);
    const family = spec.family as string;
    const revision = (this.lastRevision.get(family) ?? 0) + 1;
    const networkMode = spec.networkMode ?? 'bridge';
    const taskDefinitionArn = ecsArn(this.context, `task-definition/${family}:${revision}`);
    const taskDefinition: TaskDefinition = {
      ...spec,
      taskDefinitionArn,
      family,
      revision,
      networkMode,
      containerDefinitions: (spec.containerDefinitions ?? []).map((container) => fillContainer(container, networkMode)),
      volumes: (spec.volumes ?? []).map(fillVolume),
      placementConstraints: spec.placementConstraints ?? [],
      status: 'ACTIVE',
      compatibilities: compatibilities(spec, networkMode),
      requiresAttributes: requiresAttributes(spec, networkMode),
      registeredAt: this.context.date(),
      registeredBy: this.context.principalArn,
      enableFaultInjection: spec.enableFaultInjection ?? false,
    };
    this.lastRevision.set(family, revision);
    const record = { taskDefinition, tags: tags ?? [] };
    this.taskDefinitionsByArn.set(taskDefinitionArn, record);
    return record;
  }

  describe(input: DescribeTaskDefinitionRequest): DescribeTaskDefinitionResponse {
    const record = this.find(input.taskDefinition ?? '');
    if (!record) throw ecsErrors.client('Unable to describe task definition.');
    return {
      taskDefinition: record.taskDefinition,
      ...(input.include?.includes('TAGS') ? { tags: record.tags } : {}),
    };
  }

  deregister(input: DeregisterTaskDefinitionRequest): DeregisterTaskDefinitionResponse {
    const reference = input.taskDefinition ?? '';
    // DeregisterTaskDefinition wants a revision: a bare family is refused.
    const record = reference.includes(':') ? this.find(reference) : undefined;
    if (!record) throw ecsErrors.client('The specified task definition does not exist.');
    record.taskDefinition.status = 'INACTIVE';
    record.taskDefinition.deregisteredAt ??= this.context.date();
    return { taskDefinition: record.taskDefinition };
  }

  /** By ARN, family:revision, or family (its latest ACTIVE revision). */
  find(reference: string): SimulatedTaskDefinition | undefined {
    let familyAndRevision = reference;
    if (reference.startsWith('arn:')) {
      const match = /^arn:aws:ecs:([^:]+):(\d+):task-definition\/(.+)$/.exec(reference);
      if (!match || match[1] !== this.context.region || match[2] !== this.context.accountId) return undefined;
      familyAndRevision = match[3] as string;
    }
    const [family, revisionText, ...rest] = familyAndRevision.split(':');
    if (!family || rest.length > 0) return undefined;
    if (revisionText === undefined) {
      const latest = [...this.taskDefinitionsByArn.values()]
        .filter((record) => record.taskDefinition.family === family && record.taskDefinition.status === 'ACTIVE')
        .sort((a, b) => (b.taskDefinition.revision ?? 0) - (a.taskDefinition.revision ?? 0))[0];
      return latest;
    }
    if (!/^\d+$/.test(revisionText)) return undefined;
    return this.taskDefinitionsByArn.get(ecsArn(this.context, `task-definition/${family}:${Number(revisionText)}`));
  }

  /** The revision with exactly this ARN, whatever its status. */
  byArn(arn: string): SimulatedTaskDefinition | undefined {
    return this.taskDefinitionsByArn.get(arn);
  }

  /** The ARN a service runs: CreateService and UpdateService resolve families and revisions to it. */
  resolveForService(reference: string | undefined): TaskDefinition {
    if (!reference) throw ecsErrors.invalidParameter('TaskDefinition must be specified.');
    const record = this.find(reference);
    if (!record) throw ecsErrors.invalidParameter('TaskDefinition not found.');
    if (record.taskDefinition.status !== 'ACTIVE') throw ecsErrors.invalidParameter('TaskDefinition is inactive');
    return record.taskDefinition;
  }

  forDrift(reference: string): SimulatedTaskDefinition {
    const record = this.find(reference);
    if (!record) throw new Error(`simulator: no task definition ${reference}`);
    return record;
  }

  all(): SimulatedTaskDefinition[] {
    return [...this.taskDefinitionsByArn.values()];
  }
}
