/** The ECS and CloudFormation requests a declaration turns into, built in one place so that what apply sends and
 * what the planner compares are the same fields. Pure: plain request objects, no SDK calls. */
import { canonicalCpu, canonicalMemory } from '../plan/normalize.ts';
import { clusterName } from '../spec/checks.ts';
import { CREATE_SERVICE_ONLY } from '../spec/ecs-fields.ts';
import type { CloudFormationStackDeclaration, Declaration, EcsServiceDeclaration } from '../spec/repository.ts';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** Tags driftless adds to what it creates or updates, so ownership and provenance are visible in AWS. */
export interface Provenance {
  readonly installationId: string;
  /** Path of the declaration file in the repository. */
  readonly source: string;
  readonly commitId: string;
  /** Hash of the canonical desired state applied (shared/plan/applied.ts): with the commit, the record of the last
   * apply that tells a Git change from drift. */
  readonly desiredHash?: string;
}

/** The provenance of what `declaration` makes, applied at `commitId` by `installationId`. */
export function provenanceOf(
  declaration: Declaration,
  installationId: string,
  commitId: string,
  desiredHash?: string,
): Provenance {
  return { installationId, source: declaration.location.file, commitId, ...(desiredHash ? { desiredHash } : {}) };
}

export function provenanceTags(provenance: Provenance | undefined): Tag[] {
  if (!provenance) return [];
  return [
    { key: 'driftless:managed-by', value: provenance.installationId },
    { key: 'driftless:source', value: provenance.source },
    { key: 'driftless:commit', value: provenance.commitId },
    ...(provenance.desiredHash ? [{ key: 'driftless:desired', value: provenance.desiredHash }] : []),
  ];
}

function withProvenance(tags: readonly Tag[] | undefined, provenance: Provenance | undefined): Tag[] | undefined {
  const added = provenanceTags(provenance);
  const all = [...(tags ?? []).filter((tag) => !tag.key.startsWith('driftless:')), ...added];
  return all.length === 0 ? undefined : all;
}

/** RegisterTaskDefinition input: the declared task definition, cpu and memory as ECS stores them. */
export function registerTaskDefinitionInput(declaration: EcsServiceDeclaration, provenance?: Provenance) {
  const taskDefinition = declaration.document.spec.taskDefinition;
  const cpu = canonicalCpu(taskDefinition.cpu);
  const memory = canonicalMemory(taskDefinition.memory);
  const tags = withProvenance(taskDefinition.tags, provenance);
  return {
    ...taskDefinition,
    ...(cpu === undefined ? {} : { cpu }),
    ...(memory === undefined ? {} : { memory }),
    ...(tags ? { tags } : {}),
  };
}

/** The service fields a declaration sets, as CreateService and UpdateService name them. */
function serviceFields(declaration: EcsServiceDeclaration) {
  const {
    taskDefinition: _taskDefinition,
    autoscaling: _autoscaling,
    tags: _tags,
    ...fields
  } = declaration.document.spec;
  return fields;
}

/** CreateService input for a declaration whose task definition is registered as `taskDefinitionArn`. */
export function createServiceInput(
  declaration: EcsServiceDeclaration,
  taskDefinitionArn: string,
  provenance?: Provenance,
) {
  const tags = withProvenance(declaration.document.spec.tags, provenance);
  return {
    ...serviceFields(declaration),
    // By name, as every other call for the service: confine has held an ARN to the deployment's own account.
    cluster: clusterName(declaration.document.metadata.cluster),
    serviceName: declaration.document.metadata.name,
    taskDefinition: taskDefinitionArn,
    ...(tags ? { tags } : {}),
  };
}

/** The tags a service should carry: the declared ones (driftless:* keys dropped) and the provenance tags. UpdateService
 * does not take tags, so apply sends these with TagResource. */
export function serviceTags(declaration: EcsServiceDeclaration, provenance?: Provenance): Tag[] {
  return withProvenance(declaration.document.spec.tags, provenance) ?? [];
}

/** UpdateService input. desiredCount is left out when Application Auto Scaling owns it or an ignore rule hides it;
 * fields UpdateService does not take (CREATE_SERVICE_ONLY: launchType, schedulingStrategy, tags) are left out.
 * Without a task definition ARN the service keeps the revision it runs. */
export function updateServiceInput(
  declaration: EcsServiceDeclaration,
  taskDefinitionArn: string | undefined,
  options: { readonly omitDesiredCount?: boolean } = {},
) {
  const { desiredCount, ...fields } = serviceFields(declaration);
  for (const field of CREATE_SERVICE_ONLY) delete (fields as Record<string, unknown>)[field];
  const autoscaled =
    declaration.document.spec.autoscaling !== undefined && declaration.document.spec.autoscaling !== false;
  return {
    ...(fields as Omit<typeof fields, (typeof CREATE_SERVICE_ONLY)[number]>),
    ...(desiredCount === undefined || autoscaled || options.omitDesiredCount ? {} : { desiredCount }),
    cluster: clusterName(declaration.document.metadata.cluster),
    service: declaration.document.metadata.name,
    ...(taskDefinitionArn === undefined ? {} : { taskDefinition: taskDefinitionArn }),
  };
}

/** CreateChangeSet input (without ChangeSetName/ChangeSetType, which the caller chooses). */
/** `defaultRoleArn`: the installation's CloudFormation service role, for stacks whose declaration names none. */
export function changeSetInput(
  declaration: CloudFormationStackDeclaration,
  provenance?: Provenance,
  defaultRoleArn?: string,
) {
  const spec = declaration.document.spec;
  const declaredTags = Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value }));
  const tags = withProvenance(declaredTags, provenance) ?? [];
  return {
    StackName: declaration.document.metadata.name,
    TemplateBody: declaration.template.body,
    Parameters: Object.entries(spec.parameters ?? {}).map(([ParameterKey, value]) => ({
      ParameterKey,
      ParameterValue: String(value),
    })),
    Tags: tags.map((tag) => ({ Key: tag.key, Value: tag.value })),
    ...(spec.capabilities ? { Capabilities: spec.capabilities } : {}),
    ...((spec.roleArn ?? defaultRoleArn) ? { RoleARN: spec.roleArn ?? defaultRoleArn } : {}),
  };
}
