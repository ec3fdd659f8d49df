/** `driftless import`'s conversion: a live ECS service (with its task definition, tags and scalable target) or a live
 * CloudFormation stack turned into the declaration that plans as in sync with it, holding only what matters and never
 * a secret value. Pure: API-shaped JSON in, declaration documents and file texts out.
 *
 * "Only what matters" is decided by the normalizer, not by a list kept here: a field is left out when leaving it out
 * gives the same canonical form, so a field the normalizer learns to default is left out with no change here. */

import { TerminalError } from '../errors.ts';
import { isObject } from '../plan/canonical.ts';
import { diff, type FieldChange, jsonEqual } from '../plan/diff.ts';
import type { LiveEcsService, LiveStack } from '../plan/live-state.ts';
import {
  isSystemTag,
  type Json,
  liveServiceFields,
  NO_ECHO_MASK,
  normalizeDeclaredService,
  normalizeDeclaredStack,
  normalizeLiveService,
} from '../plan/normalize.ts';
import { parseTemplate } from '../spec/cloudformation-yaml.ts';
import { serviceRoleArns } from '../spec/deployment-checks.ts';
import { printDocument } from '../spec/parse.ts';
import {
  type AnyDocument,
  API_VERSION,
  cloudFormationStackSpec,
  type EcsServiceSpec,
  ecsServiceSpec,
  type SettingsDocument,
} from '../spec/schema.ts';
import { looksLikeSecretName, secretShapeOf } from '../spec/secrets.ts';
import { entryProblem, type ImportDecision, removeServiceSecrets } from './import-secrets.ts';
import { fitToSchema, minimize, orderLike, pruneEmpty } from './import-shape.ts';

/** The line editors read to validate a declaration; relative to services/ and stacks/. */
export const SCHEMA_LINE = '# yaml-language-server: $schema=../.schema/driftless.schema.json';
export const SETTINGS_SCHEMA_LINE = '# yaml-language-server: $schema=.schema/driftless.schema.json';

export type { ImportDecision } from './import-secrets.ts';

export interface ImportedFile {
  readonly path: string;
  readonly content: string;
}

export interface ImportedResource {
  /** EcsService:<cluster>/<name> or CloudFormationStack:<name>. */
  readonly id: string;
  readonly document: AnyDocument;
  /** The declaration file first, then a stack's template file. */
  readonly files: readonly ImportedFile[];
  readonly decisions: readonly ImportDecision[];
  /** Role ARNs the declaration passes (task and execution roles, a stack's service role): Settings must allow them. */
  readonly roleArns: readonly string[];
  /** CloudFormation resource types the template declares: Settings must list them. */
  readonly resourceTypes: readonly string[];
}

/** An Application Auto Scaling target registered for the service's desired count. */
export interface ScalableTarget {
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

export interface ServiceImportInput {
  readonly live: LiveEcsService;
  readonly scalableTarget?: ScalableTarget;
}

/** Left in even when the canonical form would not miss them, by path in the spec: without them, creating the service
 * again (a new account, a deleted service) would ask ECS for something else. Each field the normalizer compares only
 * when Git sets it is here, so that import declares it and the planner keeps comparing it. */
const KEPT_SERVICE_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
  launchType: () => true,
  capacityProviderStrategy: () => true,
  networkConfiguration: () => true,
  // What CreateService gives a service that does not say.
  availabilityZoneRebalancing: (value) => value !== 'ENABLED',
  healthCheckGracePeriodSeconds: (value) => value !== 0,
  'deploymentConfiguration.bakeTimeInMinutes': (value) => typeof value === 'number',
};

// ------------------------------------------------------------------------------------------------ services

/** The declaration of a live service: the service fields and the task definition it runs, as RegisterTaskDefinition
 * input, minimized against the normalizer, with secret-looking values left out and reported. */
export function importService(input: ServiceImportInput): ImportedResource {
  const { live } = input;
  const file = `services/${live.name}.yaml`;
  const decisions: ImportDecision[] = [];
  const service = live.service;
  const serviceFields: Record<string, unknown> = {
    // Read as the planner reads it, so a field ECS keeps elsewhere than on the service is declared as live has it.
    ...liveServiceFields(service),
    tags: userTags(service.tags),
  };
  const taskDefinition = {
    ...live.taskDefinition,
    tags: userTags(live.taskDefinitionTags),
  };
  const spec = fitToSchema({ ...serviceFields, taskDefinition }, ecsServiceSpec) as Record<string, unknown>;
  delete spec.autoscaling;
  if (input.scalableTarget) {
    delete spec.desiredCount;
    spec.autoscaling = {
      minCapacity: input.scalableTarget.minCapacity,
      maxCapacity: input.scalableTarget.maxCapacity,
    };
  }
  const ordered = orderLike(spec, ecsServiceSpec) as Record<string, unknown>;

  const canonicalOf = (candidate: Record<string, unknown>) => normalizeDeclaredService(candidate);
  const liveCanonicalOf = (candidate: Record<string, unknown>) =>
    normalizeLiveService(service, live.taskDefinition, live.taskDefinitionTags, candidate);
  const same = (candidate: Record<string, unknown>) => jsonEqual(canonicalOf(candidate), liveCanonicalOf(candidate));

  for (const change of diff(liveCanonicalOf(ordered), canonicalOf(ordered))) {
    decisions.push(differenceDecision(file, change));
  }
  minimize(ordered, ecsServiceSpec, same, (path, value) => keptServiceField(path, value));
  decisions.push(...removeServiceSecrets(ordered, file));

  const document = {
    apiVersion: API_VERSION,
    kind: 'EcsService',
    metadata: { name: live.name, cluster: live.cluster },
    spec: ordered,
  } as unknown as AnyDocument;
  const revision = `${String(live.taskDefinition.family ?? '')}:${String(live.taskDefinition.revision ?? '')}`;
  const header = `# Imported by driftless import from ECS service ${live.cluster}/${live.name} (task definition ${revision}).`;
  const taskDefinitionSpec = isObject(ordered.taskDefinition) ? ordered.taskDefinition : {};
  return {
    id: live.id,
    document,
    files: [{ path: file, content: declarationText(document, header) }],
    decisions,
    roleArns: [
      taskDefinitionSpec.taskRoleArn,
      taskDefinitionSpec.executionRoleArn,
      ...serviceRoleArns(ordered as EcsServiceSpec).map((role) => role.arn),
    ].filter((arn): arn is string => typeof arn === 'string'),
    resourceTypes: [],
  };
}

function keptServiceField(path: readonly string[], value: unknown): boolean {
  const keep = KEPT_SERVICE_FIELDS[path.join('.')];
  return keep?.(value) === true;
}

function userTags(tags: unknown): { key: string; value: string }[] | undefined {
  if (!Array.isArray(tags)) return undefined;
  const kept = tags
    .filter(isObject)
    .filter((tag) => typeof tag.key === 'string' && !isSystemTag(tag.key))
    .map((tag) => ({ key: String(tag.key), value: String(tag.value ?? '') }));
  return kept.length === 0 ? undefined : kept;
}

function differenceDecision(file: string, change: FieldChange): ImportDecision {
  return {
    file,
    field: change.path,
    kind: 'difference',
    message: `${change.path} differs from live and the declaration cannot say it as live has it: plan will show it as a change; review it before the first reconcile`,
  };
}

// ------------------------------------------------------------------------------------------------ stacks

export interface StackImportInput {
  readonly live: LiveStack;
}

/** The declaration of a live stack (parameters, tags, capabilities, role, termination protection) and its original
 * template, kept byte for byte; parameters equal to the template's defaults are left out. */
export function importStack(input: StackImportInput): ImportedResource {
  const { live } = input;
  const file = `stacks/${live.name}.yaml`;
  const decisions: ImportDecision[] = [];
  const body = live.templateBody;
  if (body === undefined) {
    throw new ImportUnreadableError(
      `${live.id}: its template could not be read (GetTemplate answered nothing; a stack operation may be in progress)`,
    );
  }
  const json = body.trimStart().startsWith('{');
  const templateFile = `${live.name}.template.${json ? 'json' : 'yaml'}`;
  const template = parseTemplate(body).template;
  if (template === undefined) {
    throw new ImportUnreadableError(
      `${live.id}: its template (GetTemplate, Original stage) does not parse as JSON or YAML`,
    );
  }
  const stack = live.stack;
  const parameters: Record<string, string> = {};
  for (const parameter of Array.isArray(stack.Parameters) ? stack.Parameters.filter(isObject) : []) {
    parameters[String(parameter.ParameterKey)] = String(parameter.ParameterValue ?? '');
  }
  const tags: Record<string, string> = {};
  for (const tag of Array.isArray(stack.Tags) ? stack.Tags.filter(isObject) : []) {
    const key = String(tag.Key);
    if (!isSystemTag(key)) tags[key] = String(tag.Value ?? '');
  }
  const capabilities = Array.isArray(stack.Capabilities) ? stack.Capabilities.map(String) : [];
  const spec: Record<string, unknown> = {
    template: templateFile,
    parameters,
    tags,
    capabilities: capabilities.length > 0 ? capabilities : undefined,
    roleArn: typeof stack.RoleARN === 'string' ? stack.RoleARN : undefined,
    terminationProtection: stack.EnableTerminationProtection === true ? true : undefined,
  };

  const templateParameters = isObject(template.Parameters) ? template.Parameters : {};
  for (const [name, value] of Object.entries(parameters)) {
    const definition = isObject(templateParameters[name]) ? templateParameters[name] : {};
    const noEcho = String(definition.NoEcho).toLowerCase() === 'true';
    if (noEcho || value === NO_ECHO_MASK) {
      delete parameters[name];
      decisions.push({
        file,
        field: `parameters.${name}`,
        kind: 'unreadable',
        message: `parameters.${name} is NoEcho: CloudFormation never shows its value, so it was left out; pass it as a dynamic reference ({{resolve:secretsmanager:...}} or {{resolve:ssm-secure:...}}) before the first reconcile`,
      });
      continue;
    }
    if (value.startsWith('{{resolve:')) continue;
    const shape = secretShapeOf(value);
    if ((looksLikeSecretName(name) && value !== '') || shape) {
      delete parameters[name];
      decisions.push({
        file,
        field: `parameters.${name}`,
        kind: 'secret',
        message: `parameters.${name} looks like ${shape ?? 'a secret'}: left out; put it in Secrets Manager or SSM and pass a dynamic reference such as {{resolve:secretsmanager:...}}`,
      });
    }
  }
  for (const [key, value] of Object.entries(tags)) {
    const problem = entryProblem(key, value);
    if (!problem) continue;
    delete tags[key];
    decisions.push({
      file,
      field: `tags ${secretShapeOf(key) ? '(a tag)' : key}`,
      kind: 'secret',
      message: `tags ${secretShapeOf(key) ? '(a tag)' : key} ${problem}: left out; tags are readable by anyone who may list them`,
    });
  }
  // A parameter equal to the template's default says nothing the template does not: the canonical form is the same
  // without it. (Compared on the declared side: parameters left out above already differ from live.)
  const ordered = orderLike(pruneEmpty(spec), cloudFormationStackSpec) as Record<string, unknown>;
  const canonical = (candidate: Record<string, unknown>) => normalizeDeclaredStack({ spec: candidate, template });
  if (isObject(ordered.parameters)) {
    const full = canonical(ordered);
    for (const name of Object.keys(ordered.parameters)) {
      const value = ordered.parameters[name];
      delete ordered.parameters[name];
      if (!jsonEqual(canonical(ordered), full)) ordered.parameters[name] = value as Json;
    }
    if (Object.keys(ordered.parameters).length === 0) delete ordered.parameters;
  }
  const document = {
    apiVersion: API_VERSION,
    kind: 'CloudFormationStack',
    metadata: { name: live.name },
    spec: ordered,
  } as unknown as AnyDocument;
  const header = `# Imported by driftless import from CloudFormation stack ${live.name} (template as GetTemplate answers it, Original stage).`;
  const resources = isObject(template.Resources) ? template.Resources : {};
  const resourceTypes = [
    ...new Set(
      Object.values(resources)
        .filter(isObject)
        .map((resource) => resource.Type)
        .filter((type): type is string => typeof type === 'string'),
    ),
  ].sort();
  return {
    id: live.id,
    document,
    files: [
      { path: file, content: declarationText(document, header) },
      { path: `stacks/${templateFile}`, content: body.endsWith('\n') ? body : `${body}\n` },
    ],
    decisions,
    roleArns: typeof ordered.roleArn === 'string' ? [ordered.roleArn] : [],
    resourceTypes,
  };
}

/** A stack whose template cannot be read now: nothing is written for it (terminal for this import; a later one
 * may read it once the stack operation has finished). */
export class ImportUnreadableError extends TerminalError {}

// ------------------------------------------------------------------------------------------------ settings

export interface ImportTargets {
  readonly clusters: readonly string[];
  readonly stackNamePrefix: string;
  readonly roleArns: readonly string[];
  readonly resourceTypes: readonly string[];
}

/** What Settings must allow for the imported declarations to validate. */
export function importTargets(cluster: string | undefined, resources: readonly ImportedResource[]): ImportTargets {
  const stackNames = resources
    .filter((resource) => resource.document.kind === 'CloudFormationStack')
    .map((resource) => resource.document.metadata?.name ?? '');
  return {
    clusters: cluster === undefined ? [] : [cluster],
    stackNamePrefix: commonStackPrefix(stackNames),
    roleArns: [...new Set(resources.flatMap((resource) => resource.roleArns))].sort(),
    resourceTypes: [...new Set(resources.flatMap((resource) => resource.resourceTypes))].sort(),
  };
}

/** The longest common prefix of the names, cut after its last hyphen (platform-network, platform-db → platform-). */
export function commonStackPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  if (names.length === 1) {
    const hyphen = prefix.indexOf('-');
    return hyphen > 0 ? prefix.slice(0, hyphen + 1) : prefix;
  }
  const hyphen = prefix.lastIndexOf('-');
  return hyphen > 0 ? prefix.slice(0, hyphen + 1) : '';
}

/** driftless.yaml for a repository that has none: the targets the imported declarations need, nothing more. */
export function settingsText(targets: ImportTargets): string {
  const document: SettingsDocument = {
    apiVersion: API_VERSION,
    kind: 'Settings',
    metadata: { name: 'imported' },
    spec: {
      targets: {
        clusters: [...targets.clusters],
        stackNamePrefix: targets.stackNamePrefix,
        roleArnPatterns: [...targets.roleArns],
        resourceTypes: [...targets.resourceTypes],
        readStacks: [],
      },
      sync: {
        selfHeal: true,
        prune: false,
        maxPruneFraction: 0.2,
        ignore: { EcsService: [], CloudFormationStack: [] },
      },
    },
  };
  return `${SETTINGS_SCHEMA_LINE}\n# Written by driftless import: what this repository may touch. Review before the first reconcile.\n${printDocument(document)}`;
}

/** What an existing Settings document lacks for the imported declarations: one line per missing entry. */
export function missingTargets(settings: SettingsDocument, targets: ImportTargets): string[] {
  const have = settings.spec.targets;
  const lines: string[] = [];
  for (const cluster of targets.clusters) {
    if (!have.clusters.includes(cluster)) lines.push(`spec.targets.clusters: add ${cluster}`);
  }
  if (targets.stackNamePrefix !== '' && !targets.stackNamePrefix.startsWith(have.stackNamePrefix)) {
    lines.push(`spec.targets.stackNamePrefix: the imported stacks start with ${targets.stackNamePrefix}`);
  }
  for (const arn of targets.roleArns) {
    if (!have.roleArnPatterns.some((pattern) => globMatches(pattern, arn))) {
      lines.push(`spec.targets.roleArnPatterns: add ${arn}`);
    }
  }
  for (const type of targets.resourceTypes) {
    if (
      !have.resourceTypes.some(
        (pattern) => pattern === type || (pattern.endsWith('::*') && type.startsWith(pattern.slice(0, -1))),
      )
    ) {
      lines.push(`spec.targets.resourceTypes: add ${type}`);
    }
  }
  return lines;
}

function globMatches(pattern: string, value: string): boolean {
  const expression = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${expression.join('.*')}$`).test(value);
}

// ------------------------------------------------------------------------------------------------ shaping

function declarationText(document: AnyDocument, header: string): string {
  return `${SCHEMA_LINE}\n${header}\n${printDocument(document)}`;
}
