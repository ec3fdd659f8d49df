/** Rules a schema cannot express, run on each parsed declaration: secrets written as values (secret-checks.ts),
 * secret references to the wrong service, ECS limits and numbers (numbers.ts), cluster ARNs and targets outside what
 * Settings allow, and warnings for risky but legal choices. Pure. */
import { type ClusterArn, clusterOutside, isArn, parseClusterArn } from './arn.ts';
import { checkDeploymentRules, serviceRoleArns } from './deployment-checks.ts';
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import { checkServiceNumbers, checkStackParameterNumbers } from './numbers.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';
import { checkReferences, containsReference, locateReferences, mayReadStack, unreadableStack } from './references.ts';
import { knownService, propertiesOf, RESOURCE_SPEC_VERSION, suggestType } from './resource-spec.ts';
import { CLOUDFORMATION_INIT, patternProblem } from './resource-types.ts';
import type { EcsServiceDocument, SettingsDocument } from './schema.ts';
import { checkServiceSecrets, checkStackSecrets } from './secret-checks.ts';

export { looksLikeSecretName, secretShapeOf } from './secrets.ts';

/** RegisterTaskDefinition rejects a request whose task definition is larger than 64 KiB. */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;
/** ECS allows at most 10 containers in one task definition. */
export const MAX_CONTAINERS_PER_TASK_DEFINITION = 10;

const PARTITION = 'aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?';
const SECRETS_MANAGER_ARN = new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+$`);
const SSM_PARAMETER_ARN = new RegExp(`^arn:${PARTITION}:ssm:[a-z0-9-]+:\\d{12}:parameter/.+$`);
// ECS also accepts a bare parameter name when the parameter is in the task's own region.
const SSM_PARAMETER_NAME = /^(?!arn:)[A-Za-z0-9_.\-/]+$/;

export function checkDocument(parsed: ParsedDocument): Diagnostic[] {
  switch (parsed.kind) {
    case 'EcsService':
      return [
        ...checkEcsService(parsed.document, parsed.locate),
        ...checkServiceSecrets(parsed.document, parsed.locate),
        ...checkServiceNumbers(parsed.document, parsed.locate),
        ...checkDeploymentRules(parsed.document, parsed.locate),
        ...checkClusterArn(parsed.document.metadata.cluster, ['metadata', 'cluster'], parsed.locate),
        ...checkReferences(parsed),
      ];
    case 'CloudFormationStack':
      return [
        ...checkStackSecrets(parsed.document.spec, parsed.locate),
        ...checkStackParameterNumbers(parsed.document.spec.parameters, parsed.locate, parsed.plainSource),
        ...checkReferences(parsed),
      ];
    default:
      return [
        ...checkSettingsClusters(parsed.document.spec.targets.clusters, parsed.locate),
        ...checkResourceTypePatterns(parsed.document.spec.targets.resourceTypes, parsed.locate),
        ...checkReferences(parsed),
      ];
  }
}

type Locate = ParsedDocument['locate'];

function checkEcsService(document: EcsServiceDocument, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const taskDefinition = document.spec.taskDefinition;
  const base: PathSegment[] = ['spec', 'taskDefinition'];

  if (taskDefinition.containerDefinitions.length > MAX_CONTAINERS_PER_TASK_DEFINITION) {
    found.push(
      diagnostic(
        'E_TASKDEF_LIMIT',
        locate([...base, 'containerDefinitions']),
        `the task definition has ${taskDefinition.containerDefinitions.length} containers; ECS allows at most ${MAX_CONTAINERS_PER_TASK_DEFINITION}`,
      ),
    );
  }
  const size = Buffer.byteLength(JSON.stringify(taskDefinition), 'utf8');
  if (size > MAX_TASK_DEFINITION_BYTES) {
    found.push(
      diagnostic(
        'E_TASKDEF_LIMIT',
        locate(base),
        `the task definition is ${size} bytes as JSON; ECS rejects more than ${MAX_TASK_DEFINITION_BYTES} (64 KiB)`,
      ),
    );
  }

  taskDefinition.containerDefinitions.forEach((container, index) => {
    const at: PathSegment[] = [...base, 'containerDefinitions', index];
    container.secrets?.forEach((secret, secretIndex) => {
      found.push(...checkSecretReference(secret.valueFrom, () => locate([...at, 'secrets', secretIndex, 'valueFrom'])));
    });
    container.logConfiguration?.secretOptions?.forEach((secret, secretIndex) => {
      found.push(
        ...checkSecretReference(secret.valueFrom, () =>
          locate([...at, 'logConfiguration', 'secretOptions', secretIndex, 'valueFrom']),
        ),
      );
    });
    const credentials = container.repositoryCredentials?.credentialsParameter;
    if (credentials !== undefined && !SECRETS_MANAGER_ARN.test(credentials)) {
      found.push(
        diagnostic(
          'E_SECRET_REF',
          locate([...at, 'repositoryCredentials', 'credentialsParameter']),
          'repositoryCredentials.credentialsParameter must be a Secrets Manager secret ARN',
        ),
      );
    }
    const tag = imageTagProblem(container.image);
    if (tag)
      found.push(diagnostic('W_IMAGE_TAG', locate([...at, 'image']), `image of container ${container.name} ${tag}`));
  });

  const usesEcsDeployments =
    document.spec.deploymentController === undefined || document.spec.deploymentController.type === 'ECS';
  if (usesEcsDeployments && document.spec.deploymentConfiguration?.deploymentCircuitBreaker?.enable !== true) {
    found.push(
      diagnostic(
        'W_CIRCUIT_BREAKER',
        locate(['spec', 'deploymentConfiguration', 'deploymentCircuitBreaker', 'enable']),
        `service ${document.metadata.name} has no deployment circuit breaker: add deploymentConfiguration.deploymentCircuitBreaker { enable: true, rollback: true }`,
      ),
    );
  }
  return found;
}

/** `at` is asked only for a finding: locating reads the file again once its syntax tree is let go. */
function checkSecretReference(valueFrom: string, at: () => ReturnType<Locate>): Diagnostic[] {
  if (SECRETS_MANAGER_ARN.test(valueFrom) || SSM_PARAMETER_ARN.test(valueFrom) || SSM_PARAMETER_NAME.test(valueFrom)) {
    return [];
  }
  const service = /^arn:[^:]+:([^:]+):/.exec(valueFrom)?.[1];
  const what = service ? `an ARN for ${service}` : 'not an ARN';
  return [
    diagnostic(
      'E_SECRET_REF',
      at(),
      `valueFrom is ${what}: it must be a Secrets Manager secret ARN or an SSM Parameter Store parameter ARN or name`,
    ),
  ];
}

function imageTagProblem(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon === -1) return 'has no tag, so it means :latest';
  if (lastSegment.slice(colon + 1) === 'latest') return 'uses :latest';
  return undefined;
}

// ------------------------------------------------------------------------------------ checks that need Settings

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** A cluster may be written as a name or an ARN; Settings and declarations are compared by name. */
export function clusterName(cluster: string): string {
  const match = /^arn:[^:]+:ecs:[^:]*:\d{12}:cluster\/(.+)$/.exec(cluster);
  return match?.[1] ?? cluster;
}

const CLUSTER_ARN_FORM = 'arn:<partition>:ecs:<region>:<12-digit account>:cluster/<name>';

/** A cluster written as an ARN must be a well-formed ECS cluster ARN; a name is checked against Settings only. */
function checkClusterArn(cluster: string, path: PathSegment[], locate: ParsedDocument['locate']): Diagnostic[] {
  if (!isArn(cluster) || parseClusterArn(cluster)) return [];
  return [diagnostic('E_TARGET', locate(path), `cluster ${cluster} is not an ECS cluster ARN (${CLUSTER_ARN_FORM})`)];
}

/** The partition, account and region the cluster ARNs in Settings name, when any does. */
function settingsHome(clusters: readonly string[]): ClusterArn | undefined {
  for (const cluster of clusters) {
    const arn = parseClusterArn(cluster);
    if (arn) return arn;
  }
  return undefined;
}

/** Each targets.resourceTypes entry is an exact type or one service's types (resource-types.ts), and names a type
 * or service the CloudFormation resource specification knows: a misspelt entry would allow nothing. */
function checkResourceTypePatterns(patterns: readonly string[], locate: ParsedDocument['locate']): Diagnostic[] {
  return patterns.flatMap((pattern, index) => {
    const problem = patternProblem(pattern) ?? unknownPattern(pattern);
    return problem ? [diagnostic('E_RESOURCE_TYPE', locate(['spec', 'targets', 'resourceTypes', index]), problem)] : [];
  });
}

function unknownPattern(pattern: string): string | undefined {
  if (/^(Custom|Transform)::/.test(pattern) || pattern === CLOUDFORMATION_INIT) return undefined;
  const service = pattern.endsWith('::*');
  if (service ? knownService(pattern.slice(0, -3)) : propertiesOf(pattern) !== undefined) return undefined;
  const suggestion = service ? undefined : suggestType(pattern);
  return `${pattern} names no ${service ? 'service' : 'resource type'} in the CloudFormation resource specification (${RESOURCE_SPEC_VERSION})${suggestion ? `; did you mean ${suggestion}?` : ''}`;
}

/** Cluster ARNs in Settings are well-formed and agree on one partition, account and region: the deployment's. */
function checkSettingsClusters(clusters: readonly string[], locate: ParsedDocument['locate']): Diagnostic[] {
  const found: Diagnostic[] = [];
  const home = settingsHome(clusters);
  clusters.forEach((cluster, index) => {
    const path = ['spec', 'targets', 'clusters', index];
    found.push(...checkClusterArn(cluster, path, locate));
    const arn = parseClusterArn(cluster);
    const outside = arn && home ? clusterOutside(arn, home) : undefined;
    if (outside) {
      found.push(
        diagnostic(
          'E_TARGET',
          locate(path),
          `cluster ${cluster} is in ${outside}, where the first cluster ARN in targets.clusters is: a repository deploys to one partition, account and region`,
        ),
      );
    }
  });
  return found;
}

export function checkTargets(parsed: ParsedDocument, settings: SettingsDocument): Diagnostic[] {
  const targets = settings.spec.targets;
  const found: Diagnostic[] = [];
  const rolePatterns = targets.roleArnPatterns.map(globToRegExp);
  const checkRole = (arn: string | undefined, path: PathSegment[], label: string) => {
    if (arn === undefined || rolePatterns.some((pattern) => pattern.test(arn))) return;
    // A role named by a stack output is checked once resolved, at plan time (shared/plan/references.ts).
    if (parsed.kind === 'EcsService' && containsReference(arn)) return;
    const allowed = targets.roleArnPatterns.length > 0 ? targets.roleArnPatterns.join(', ') : 'none are allowed';
    found.push(
      diagnostic(
        'E_ROLE',
        parsed.locate(path),
        `${label} ${arn} does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: ${allowed})`,
      ),
    );
  };
  if (parsed.kind === 'EcsService') {
    const written = parsed.document.metadata.cluster;
    const cluster = clusterName(written);
    const home = settingsHome(targets.clusters);
    const arn = parseClusterArn(written);
    const outside = arn && home ? clusterOutside(arn, home) : undefined;
    if (isArn(written) && !arn) {
      // Malformed: reported by checkClusterArn.
    } else if (!targets.clusters.map(clusterName).includes(cluster)) {
      found.push(
        diagnostic(
          'E_TARGET',
          parsed.locate(['metadata', 'cluster']),
          `cluster ${cluster} is not allowed by Settings (targets.clusters: ${targets.clusters.join(', ') || 'none'})`,
        ),
      );
    } else if (outside) {
      found.push(
        diagnostic(
          'E_TARGET',
          parsed.locate(['metadata', 'cluster']),
          `cluster ${written} is in ${outside}, where the cluster ARNs in Settings (targets.clusters) are: a repository deploys to one partition, account and region`,
        ),
      );
    }
    for (const reference of locateReferences(parsed.document.spec, parsed.locate)) {
      if (mayReadStack(reference.stack, targets)) continue;
      found.push(
        diagnostic(
          'E_REFERENCE',
          reference.location,
          unreadableStack(reference.reference, reference.stack, targets, 'Settings (targets)'),
        ),
      );
    }
    const taskDefinition = parsed.document.spec.taskDefinition;
    checkRole(taskDefinition.taskRoleArn, ['spec', 'taskDefinition', 'taskRoleArn'], 'taskRoleArn');
    checkRole(taskDefinition.executionRoleArn, ['spec', 'taskDefinition', 'executionRoleArn'], 'executionRoleArn');
    for (const role of serviceRoleArns(parsed.document.spec)) checkRole(role.arn, role.path, role.label);
  }
  if (parsed.kind === 'CloudFormationStack') {
    const name = parsed.document.metadata.name;
    if (!name.startsWith(targets.stackNamePrefix)) {
      found.push(
        diagnostic(
          'E_TARGET',
          parsed.locate(['metadata', 'name']),
          `stack name ${name} does not start with the prefix Settings allow (targets.stackNamePrefix: ${targets.stackNamePrefix})`,
        ),
      );
    }
    checkRole(parsed.document.spec.roleArn, ['spec', 'roleArn'], 'roleArn');
  }
  return found;
}
