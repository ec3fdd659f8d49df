/** Refuses secret values wherever others can read them: a task definition (environment, command, entryPoint,
 * health check, docker labels, log and volume driver options) is readable by anyone who may describe it, tags by
 * anyone who may list them, stack parameters in the console. Diagnostics name the field and the kind of secret,
 * never the value. Pure. */
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';
import type { CloudFormationStackSpec, ContainerDefinition, EcsServiceDocument } from './schema.ts';
import { looksLikeSecretName, secretInArguments, secretShapeOf } from './secrets.ts';

type Locate = ParsedDocument['locate'];

const USE_SECRETS =
  'move it to secrets with valueFrom set to a Secrets Manager or SSM parameter ARN, and read it from the environment';

export function checkServiceSecrets(document: EcsServiceDocument, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const base: PathSegment[] = ['spec', 'taskDefinition'];
  const taskDefinition = document.spec.taskDefinition;
  taskDefinition.containerDefinitions.forEach((container, index) => {
    found.push(...checkContainer(container, [...base, 'containerDefinitions', index], locate));
  });
  taskDefinition.volumes?.forEach((volume, index) => {
    const at: PathSegment[] = [...base, 'volumes', index, 'dockerVolumeConfiguration'];
    const docker = volume.dockerVolumeConfiguration;
    found.push(
      ...checkMap(docker?.driverOpts, [...at, 'driverOpts'], `driver option of volume ${volume.name}`, locate),
    );
    found.push(...checkMap(docker?.labels, [...at, 'labels'], `label of volume ${volume.name}`, locate));
  });
  found.push(...checkTagList(taskDefinition.tags, [...base, 'tags'], 'task definition tag', locate));
  found.push(...checkTagList(document.spec.tags, ['spec', 'tags'], 'service tag', locate));
  return found;
}

function checkContainer(container: ContainerDefinition, at: PathSegment[], locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const name = container.name;
  container.environment?.forEach((variable, envIndex) => {
    const where = () => locate([...at, 'environment', envIndex, 'value']);
    if (looksLikeSecretName(variable.name) && variable.value !== '') {
      found.push(
        diagnostic(
          'E_SECRET_VALUE',
          where(),
          `environment variable ${variable.name} in container ${name} looks like a secret: ${USE_SECRETS}`,
        ),
      );
      return;
    }
    const shape = secretShapeOf(variable.value);
    if (shape) {
      found.push(
        diagnostic(
          'E_SECRET_VALUE',
          where(),
          `the value of environment variable ${variable.name} in container ${name} looks like ${shape}: move it to secrets with valueFrom`,
        ),
      );
    }
  });
  const argumentLists = [
    { field: 'command', path: ['command'], args: container.command },
    { field: 'entryPoint', path: ['entryPoint'], args: container.entryPoint },
    { field: 'healthCheck.command', path: ['healthCheck', 'command'], args: container.healthCheck?.command },
  ];
  for (const { field, path, args } of argumentLists) {
    const secret = args ? secretInArguments(args) : undefined;
    if (!secret) continue;
    found.push(
      diagnostic(
        'E_SECRET_VALUE',
        locate([...at, ...path, secret.index]),
        `${field}[${secret.index}] of container ${name} holds ${secret.kind}: anyone who may describe the task definition reads it; ${USE_SECRETS} (for example "$DB_PASSWORD" under CMD-SHELL)`,
      ),
    );
  }
  found.push(...checkMap(container.dockerLabels, [...at, 'dockerLabels'], `docker label in container ${name}`, locate));
  for (const [option, value] of Object.entries(container.logConfiguration?.options ?? {})) {
    if (looksLikeSecretName(option) || secretShapeOf(value) || secretShapeOf(option)) {
      const label = secretShapeOf(option) ? 'a log option' : `log option ${option}`;
      found.push(
        diagnostic(
          'E_SECRET_VALUE',
          locate([...at, 'logConfiguration', 'options', option]),
          `${label} in container ${name} looks like a secret: use logConfiguration.secretOptions with valueFrom`,
        ),
      );
    }
  }
  found.push(
    ...checkMap(
      container.firelensConfiguration?.options,
      [...at, 'firelensConfiguration', 'options'],
      `FireLens option in container ${name}`,
      locate,
    ),
  );
  return found;
}

/** A map of names to values (labels, driver options, stack tags): refused when a name says its value is a secret
 * and there is a value, or when a name or a value has a secret's shape. A secret-shaped name is not repeated. */
function checkMap(
  map: Readonly<Record<string, string>> | undefined,
  at: readonly PathSegment[],
  what: string,
  locate: Locate,
): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const [key, value] of Object.entries(map ?? {})) {
    const problem = entryProblem(key, value);
    if (!problem) continue;
    const where = problem.inName ? locate([...at, key], { key: true }) : locate([...at, key]);
    found.push(diagnostic('E_SECRET_VALUE', where, `${problem.label(what)} ${problem.why}`));
  }
  return found;
}

function checkTagList(
  tags: readonly { key: string; value: string }[] | undefined,
  at: readonly PathSegment[],
  what: string,
  locate: Locate,
): Diagnostic[] {
  const found: Diagnostic[] = [];
  tags?.forEach((tag, index) => {
    const problem = entryProblem(tag.key, tag.value);
    if (!problem) return;
    found.push(
      diagnostic(
        'E_SECRET_VALUE',
        locate([...at, index, problem.inName ? 'key' : 'value']),
        `${problem.label(what)} ${problem.why}; tags are readable by anyone who may list them`,
      ),
    );
  });
  return found;
}

function entryProblem(
  key: string,
  value: string,
): { inName: boolean; why: string; label: (what: string) => string } | undefined {
  const keyShape = secretShapeOf(key);
  if (keyShape) return { inName: true, why: `has a name that looks like ${keyShape}`, label: (what) => `a ${what}` };
  const named = (what: string) => `${what} ${key}`;
  if (looksLikeSecretName(key) && value !== '') {
    return { inName: false, why: 'looks like a secret: keep secrets out of it', label: named };
  }
  const valueShape = secretShapeOf(value);
  if (valueShape) return { inName: false, why: `has a value that looks like ${valueShape}`, label: named };
  return undefined;
}

/** Stack parameters and tags. A parameter's value is shown in the console to anyone who may describe the stack, so a
 * secret is passed as a dynamic reference ({{resolve:secretsmanager:…}}) instead. */
export function checkStackSecrets(spec: CloudFormationStackSpec, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const [name, value] of Object.entries(spec.parameters ?? {})) {
    if (typeof value === 'boolean') continue;
    const text = String(value);
    if (text.startsWith('{{resolve:')) continue;
    const shape = secretShapeOf(text);
    if ((looksLikeSecretName(name) && text !== '') || shape) {
      found.push(
        diagnostic(
          'E_SECRET_VALUE',
          locate(['spec', 'parameters', name]),
          `parameter ${name} looks like ${shape ?? 'a secret'}: use a dynamic reference such as {{resolve:secretsmanager:...}} instead of a value`,
        ),
      );
    }
  }
  found.push(...checkMap(spec.tags, ['spec', 'tags'], 'stack tag', locate));
  return found;
}
