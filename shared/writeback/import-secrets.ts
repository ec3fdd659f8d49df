/** Secret-looking values in an imported service, found by the rules validate applies (shared/spec/secrets.ts) and
 * left out, each reported as a decision for the user. Pure. */
import { isObject } from '../plan/canonical.ts';
import { looksLikeSecretName, secretInArguments, secretShapeOf } from '../spec/secrets.ts';

/** Something the user has to decide before the imported declaration is complete: a value left out (a secret, a
 * NoEcho parameter) or a difference the declaration cannot express. */
export interface ImportDecision {
  /** Repository-relative path of the declaration file it concerns. */
  readonly file: string;
  /** Where in the declaration, in words: containerDefinitions[web].environment DB_PASSWORD. */
  readonly field: string;
  readonly message: string;
  /** 'secret': a value left out because the secret rules refuse it; 'unreadable': AWS does not show it;
   * 'difference': the declaration differs from live in a way import could not avoid. */
  readonly kind: 'secret' | 'unreadable' | 'difference';
}

const LEAVE_IN_SECRETS =
  'move it to Secrets Manager or SSM Parameter Store and reference it in `secrets` (valueFrom), then add it to the declaration';

/** Secret-looking values, by the same rules validate applies (shared/spec/secrets.ts): left out, each reported. */
export function removeServiceSecrets(spec: Record<string, unknown>, file: string): ImportDecision[] {
  const decisions: ImportDecision[] = [];
  const secret = (field: string, what: string, advice = LEAVE_IN_SECRETS) =>
    decisions.push({ file, field, kind: 'secret', message: `${field} ${what}: left out; ${advice}` });
  const taskDefinition = isObject(spec.taskDefinition) ? spec.taskDefinition : {};
  const containers = Array.isArray(taskDefinition.containerDefinitions)
    ? taskDefinition.containerDefinitions.filter(isObject)
    : [];
  for (const container of containers) {
    const at = `containerDefinitions[${String(container.name)}]`;
    if (Array.isArray(container.environment)) {
      const kept = container.environment.filter((variable) => {
        if (!isObject(variable)) return true;
        const name = String(variable.name);
        const value = String(variable.value ?? '');
        const kind = looksLikeSecretName(name) && value !== '' ? 'a secret' : secretShapeOf(value);
        if (kind === undefined) return true;
        secret(`${at}.environment ${name}`, `looks like ${kind}`);
        return false;
      });
      if (kept.length === 0) delete container.environment;
      else container.environment = kept;
    }
    for (const field of ['command', 'entryPoint'] as const) {
      const args = container[field];
      const found = Array.isArray(args) ? secretInArguments(args.map(String)) : undefined;
      if (!found) continue;
      delete container[field];
      secret(
        `${at}.${field}`,
        `holds ${found.kind} (argument ${found.index})`,
        `read it from the environment ("$NAME") and ${LEAVE_IN_SECRETS}`,
      );
    }
    const healthCheck = isObject(container.healthCheck) ? container.healthCheck : undefined;
    const checkArgs = Array.isArray(healthCheck?.command) ? healthCheck.command.map(String) : [];
    const inCheck = secretInArguments(checkArgs);
    if (inCheck) {
      delete container.healthCheck;
      secret(
        `${at}.healthCheck.command`,
        `holds ${inCheck.kind}`,
        `read it from the environment ("$NAME") and ${LEAVE_IN_SECRETS}`,
      );
    }
    removeFromMap(container, 'dockerLabels', `${at}.dockerLabels`, secret);
    removeFromMap(container.firelensConfiguration, 'options', `${at}.firelensConfiguration.options`, secret);
    const logConfiguration = isObject(container.logConfiguration) ? container.logConfiguration : undefined;
    if (logConfiguration && isObject(logConfiguration.options)) {
      for (const [option, value] of Object.entries(logConfiguration.options)) {
        const kind = looksLikeSecretName(option) ? 'a secret' : (secretShapeOf(String(value)) ?? secretShapeOf(option));
        if (kind === undefined) continue;
        delete logConfiguration.options[option];
        secret(
          `${at}.logConfiguration.options ${secretShapeOf(option) ? '(a log option)' : option}`,
          `looks like ${kind}`,
          'pass it in logConfiguration.secretOptions with valueFrom (Secrets Manager or SSM), then add it to the declaration',
        );
      }
      if (Object.keys(logConfiguration.options).length === 0) delete logConfiguration.options;
    }
  }
  const volumes = Array.isArray(taskDefinition.volumes) ? taskDefinition.volumes.filter(isObject) : [];
  for (const volume of volumes) {
    const docker = isObject(volume.dockerVolumeConfiguration) ? volume.dockerVolumeConfiguration : undefined;
    removeFromMap(docker, 'driverOpts', `volumes[${String(volume.name)}].driverOpts`, secret);
    removeFromMap(docker, 'labels', `volumes[${String(volume.name)}].labels`, secret);
  }
  removeTags(taskDefinition, 'taskDefinition.tags', secret);
  removeTags(spec, 'tags', secret);
  return decisions;
}

type Report = (field: string, what: string, advice?: string) => void;

/** The problem validate finds with a name/value entry (labels, options, tags), if any. */
export function entryProblem(key: string, value: string): string | undefined {
  const keyShape = secretShapeOf(key);
  if (keyShape) return `has a name that looks like ${keyShape}`;
  if (looksLikeSecretName(key) && value !== '') return 'looks like a secret';
  const valueShape = secretShapeOf(value);
  return valueShape ? `has a value that looks like ${valueShape}` : undefined;
}

function removeFromMap(owner: unknown, field: string, at: string, report: Report): void {
  if (!isObject(owner) || !isObject(owner[field])) return;
  const map = owner[field] as Record<string, unknown>;
  for (const [key, value] of Object.entries(map)) {
    const problem = entryProblem(key, String(value));
    if (!problem) continue;
    delete map[key];
    // A key shaped like a credential is a secret itself: it is not repeated in the report.
    report(
      `${at} ${secretShapeOf(key) ? '(an entry)' : key}`,
      problem,
      'keep secrets out of it (Secrets Manager or SSM), then add what is left to the declaration',
    );
  }
  if (Object.keys(map).length === 0) delete owner[field];
}

function removeTags(owner: Record<string, unknown>, at: string, report: Report): void {
  if (!Array.isArray(owner.tags)) return;
  owner.tags = owner.tags.filter((tag) => {
    if (!isObject(tag)) return true;
    const key = String(tag.key);
    const problem = entryProblem(key, String(tag.value ?? ''));
    if (!problem) return true;
    report(
      `${at} ${secretShapeOf(key) ? '(a tag)' : key}`,
      problem,
      'tags are readable by anyone who may list them; keep secrets out of them',
    );
    return false;
  });
  if ((owner.tags as unknown[]).length === 0) delete owner.tags;
}
