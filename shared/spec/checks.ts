/** Rules a schema cannot express: secrets written as values, secret references to the wrong service, ECS task
 * definition limits, targets outside what Settings allow, and warnings for risky but legal choices. Pure. */
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';
import { checkReferences, containsReference } from './references.ts';
import type { EcsServiceDocument, SettingsDocument } from './schema.ts';

/** RegisterTaskDefinition rejects a request whose task definition is larger than 64 KiB. */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;
/** ECS allows at most 10 containers in one task definition. */
export const MAX_CONTAINERS_PER_TASK_DEFINITION = 10;

const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
// Names that contain a secret-looking word but conventionally hold a reference or a non-secret setting.
const SECRET_NAME_EXCEPTIONS = /(_ARN|_ID|_NAME|_PATH|_FILE|_URL|_REGION|_TTL|_LENGTH|_EXPIRY|_HEADER)$/i;
const SECRET_VALUE_SHAPES: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: 'a private key block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----/ },
  { what: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  // 40 characters of base64 with both letter cases and a digit: an AWS secret access key, not a hex sha.
  {
    what: 'an AWS secret access key',
    pattern:
      /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/,
  },
  { what: 'a GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { what: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/ },
  { what: 'a password in a URL', pattern: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
];

/** Names the secret shape a value has, if any. Never returns the value itself. */
export function secretShapeOf(value: string): string | undefined {
  return SECRET_VALUE_SHAPES.find((shape) => shape.pattern.test(value))?.what;
}

export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !SECRET_NAME_EXCEPTIONS.test(name);
}

const PARTITION = 'aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?';
const SECRETS_MANAGER_ARN = new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+$`);
const SSM_PARAMETER_ARN = new RegExp(`^arn:${PARTITION}:ssm:[a-z0-9-]+:\\d{12}:parameter/.+$`);
// ECS also accepts a bare parameter name when the parameter is in the task's own region.
const SSM_PARAMETER_NAME = /^(?!arn:)[A-Za-z0-9_.\-/]+$/;

export function checkDocument(parsed: ParsedDocument): Diagnostic[] {
  switch (parsed.kind) {
    case 'EcsService':
      return [...checkEcsService(parsed.document, parsed.locate), ...checkReferences(parsed)];
    case 'CloudFormationStack':
      return [
        ...checkStackParameters(parsed.document.spec.parameters ?? {}, parsed.locate),
        ...checkReferences(parsed),
      ];
    default:
      return checkReferences(parsed);
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
    container.environment?.forEach((variable, envIndex) => {
      const where = [...at, 'environment', envIndex];
      if (looksLikeSecretName(variable.name) && variable.value !== '') {
        found.push(
          diagnostic(
            'E_SECRET_VALUE',
            locate([...where, 'value']),
            `environment variable ${variable.name} in container ${container.name} looks like a secret: move it to secrets with valueFrom set to a Secrets Manager or SSM parameter ARN`,
          ),
        );
        return;
      }
      const shape = secretShapeOf(variable.value);
      if (shape) {
        found.push(
          diagnostic(
            'E_SECRET_VALUE',
            locate([...where, 'value']),
            `the value of environment variable ${variable.name} in container ${container.name} looks like ${shape}: move it to secrets with valueFrom`,
          ),
        );
      }
    });
    for (const [label, value] of Object.entries(container.dockerLabels ?? {})) {
      const shape = secretShapeOf(value);
      if (shape) {
        found.push(
          diagnostic(
            'E_SECRET_VALUE',
            locate([...at, 'dockerLabels', label]),
            `docker label ${label} looks like ${shape}`,
          ),
        );
      }
    }
    for (const [option, value] of Object.entries(container.logConfiguration?.options ?? {})) {
      if (looksLikeSecretName(option) || secretShapeOf(value)) {
        found.push(
          diagnostic(
            'E_SECRET_VALUE',
            locate([...at, 'logConfiguration', 'options', option]),
            `log option ${option} in container ${container.name} looks like a secret: use logConfiguration.secretOptions with valueFrom`,
          ),
        );
      }
    }
    container.secrets?.forEach((secret, secretIndex) => {
      found.push(...checkSecretReference(secret.valueFrom, locate([...at, 'secrets', secretIndex, 'valueFrom'])));
    });
    container.logConfiguration?.secretOptions?.forEach((secret, secretIndex) => {
      found.push(
        ...checkSecretReference(
          secret.valueFrom,
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

function checkSecretReference(valueFrom: string, at: ReturnType<Locate>): Diagnostic[] {
  if (SECRETS_MANAGER_ARN.test(valueFrom) || SSM_PARAMETER_ARN.test(valueFrom) || SSM_PARAMETER_NAME.test(valueFrom)) {
    return [];
  }
  const service = /^arn:[^:]+:([^:]+):/.exec(valueFrom)?.[1];
  const what = service ? `an ARN for ${service}` : 'not an ARN';
  return [
    diagnostic(
      'E_SECRET_REF',
      at,
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

function checkStackParameters(parameters: Record<string, string | number | boolean>, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value !== 'string' || value.startsWith('{{resolve:')) continue;
    if ((looksLikeSecretName(name) && value !== '') || secretShapeOf(value)) {
      found.push(
        diagnostic(
          'E_SECRET_VALUE',
          locate(['spec', 'parameters', name]),
          `parameter ${name} looks like a secret: use a dynamic reference such as {{resolve:secretsmanager:...}} instead of a value`,
        ),
      );
    }
  }
  return found;
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
    const cluster = clusterName(parsed.document.metadata.cluster);
    if (!targets.clusters.map(clusterName).includes(cluster)) {
      found.push(
        diagnostic(
          'E_TARGET',
          parsed.locate(['metadata', 'cluster']),
          `cluster ${cluster} is not allowed by Settings (targets.clusters: ${targets.clusters.join(', ') || 'none'})`,
        ),
      );
    }
    const taskDefinition = parsed.document.spec.taskDefinition;
    checkRole(taskDefinition.taskRoleArn, ['spec', 'taskDefinition', 'taskRoleArn'], 'taskRoleArn');
    checkRole(taskDefinition.executionRoleArn, ['spec', 'taskDefinition', 'executionRoleArn'], 'executionRoleArn');
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
