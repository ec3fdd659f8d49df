/** What a CloudFormation template reaches, read without deploying it: every resource type it declares (those an
 * `Fn::ForEach` of AWS::LanguageExtensions writes included), its transforms and macros (`Transform::<name>`), its
 * `AWS::CloudFormation::Init` metadata, the ECS clusters its services name and the IAM roles its ECS resources pass.
 * Validation holds these to Settings and the run to the deployment, from this one reading. Pure. */
import { CLOUDFORMATION_INIT, TRANSFORM_PREFIX } from './resource-types.ts';
import type { TemplatePath } from './template-locator.ts';

/** A resource as the template writes it, with where. */
export interface TemplateResource {
  readonly logicalId: string;
  /** Path of the resource's mapping: ['Resources', 'Queue'], or deeper inside an Fn::ForEach. */
  readonly path: TemplatePath;
  /** The Type as written; undefined when it is missing or not a string. */
  readonly type: string | undefined;
  readonly properties: Readonly<Record<string, unknown>> | undefined;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/** A resource type, `Transform::<name>` or AWS::CloudFormation::Init, and where the template declares it. */
export interface DeclaredType {
  readonly type: string;
  readonly path: TemplatePath;
  /** The resource that declares it, when a resource does. */
  readonly logicalId?: string;
}

/** A value a resource sends, as far as it is known before deploying. */
export type StaticValue =
  | { readonly known: true; readonly value: string }
  | { readonly known: false; readonly why: string };

/** A cluster or a role an ECS resource names. */
export interface ReachedTarget {
  readonly logicalId: string;
  readonly type: string;
  readonly property: string;
  readonly path: TemplatePath;
  readonly value: StaticValue;
}

/** Where ECS resources name their cluster; a service that names none runs in the cluster named `default`. */
const CLUSTER_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::ECS::Service': 'Cluster',
  'AWS::ECS::TaskSet': 'Cluster',
};
/** Role ARNs ECS resources pass to ECS (iam:PassRole): held to targets.roleArnPatterns like a declaration's. */
const ROLE_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::ECS::Service': ['Role'],
  'AWS::ECS::TaskDefinition': ['TaskRoleArn', 'ExecutionRoleArn'],
};
const FOR_EACH = 'Fn::ForEach::';
/** AWS::LanguageExtensions allows five levels of Fn::ForEach; past that, the template is refused by CloudFormation. */
const MAX_FOR_EACH_DEPTH = 5;

/** The resources of each template read, kept while the template is: validation and confinement each ask several
 * times. */
const resourcesOf = new WeakMap<Record<string, unknown>, readonly TemplateResource[]>();

/** Every resource, those inside Fn::ForEach loops included (their logical ids as written, `Topic${Name}`). */
export function templateResources(template: Record<string, unknown>): readonly TemplateResource[] {
  const known = resourcesOf.get(template);
  if (known) return known;
  const found: TemplateResource[] = [];
  const visit = (resources: unknown, path: TemplatePath, depth: number) => {
    if (!isObject(resources)) return;
    for (const [logicalId, resource] of Object.entries(resources)) {
      const at = [...path, logicalId];
      if (logicalId.startsWith(FOR_EACH)) {
        if (Array.isArray(resource) && depth < MAX_FOR_EACH_DEPTH) visit(resource[2], [...at, 2], depth + 1);
        continue;
      }
      // Fn::Transform (AWS::Include) in place of resources: a transform, which declaredTypes reports.
      if (logicalId.startsWith('Fn::')) continue;
      const entry = isObject(resource) ? resource : {};
      found.push({
        logicalId,
        path: at,
        type: typeof entry.Type === 'string' ? entry.Type : undefined,
        properties: isObject(entry.Properties) ? entry.Properties : undefined,
        metadata: isObject(entry.Metadata) ? entry.Metadata : undefined,
      });
    }
  };
  visit(template.Resources, ['Resources'], 0);
  resourcesOf.set(template, found);
  return found;
}

/** Every type the template declares: its resources' types, its transforms (the Transform section and every
 * Fn::Transform, wherever it is written) and AWS::CloudFormation::Init metadata. */
export function declaredTypes(template: Record<string, unknown>): DeclaredType[] {
  const declared: DeclaredType[] = [];
  for (const resource of templateResources(template)) {
    if (resource.type !== undefined) {
      declared.push({ type: resource.type, path: [...resource.path, 'Type'], logicalId: resource.logicalId });
    }
    if (resource.metadata && CLOUDFORMATION_INIT in resource.metadata) {
      declared.push({
        type: CLOUDFORMATION_INIT,
        path: [...resource.path, 'Metadata', CLOUDFORMATION_INIT],
        logicalId: resource.logicalId,
      });
    }
  }
  const transforms = template.Transform;
  if (transforms !== undefined) {
    const names = Array.isArray(transforms) ? transforms : [transforms];
    names.forEach((name, index) => {
      declared.push({
        type: transformType(name),
        path: Array.isArray(transforms) ? ['Transform', index] : ['Transform'],
      });
    });
  }
  declared.push(...inlineTransforms(template));
  return declared;
}

interface Visit {
  readonly value: unknown;
  readonly parent: Visit | undefined;
  readonly key: string | number;
}

/** Each Fn::Transform, found without recursion so a deep template cannot exhaust the stack; a node's path is built
 * only for a find, so the walk costs one small object per node. */
function inlineTransforms(template: Record<string, unknown>): DeclaredType[] {
  const found: DeclaredType[] = [];
  const pending: Visit[] = [{ value: template, parent: undefined, key: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value } = next;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        pending.push({ value: item, parent: next, key: index });
      });
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const visit = { value: child, parent: next, key };
        if (key === 'Fn::Transform') {
          const name = isObject(child) ? child.Name : child;
          found.push({ type: transformType(name), path: pathOf(visit) });
        }
        pending.push(visit);
      }
    }
  }
  return found.reverse();
}

function pathOf(visit: Visit): TemplatePath {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) path.push(at.key);
  return path.reverse();
}

function transformType(name: unknown): string {
  return `${TRANSFORM_PREFIX}${typeof name === 'string' ? name : '(a name that is not written out)'}`;
}

/** The clusters ECS services and task sets name, resolved as far as the declaration's parameters allow. */
export function reachedClusters(template: Record<string, unknown>, parameters: ParameterValues): ReachedTarget[] {
  return templateResources(template).flatMap((resource) => {
    const property = resource.type === undefined ? undefined : CLUSTER_PROPERTIES[resource.type];
    if (property === undefined || resource.type === undefined) return [];
    const written = resource.properties?.[property];
    const path = written === undefined ? [...resource.path, 'Type'] : [...resource.path, 'Properties', property];
    // ECS puts a service that names no cluster in the account's `default` cluster.
    const value: StaticValue =
      written === undefined && resource.type === 'AWS::ECS::Service'
        ? { known: true, value: 'default' }
        : staticValue(written, template, parameters);
    return [{ logicalId: resource.logicalId, type: resource.type, property, path, value }];
  });
}

/** The role ARNs ECS resources pass, resolved as far as the declaration's parameters allow. */
export function reachedRoles(template: Record<string, unknown>, parameters: ParameterValues): ReachedTarget[] {
  return templateResources(template).flatMap((resource) =>
    (resource.type === undefined ? [] : (ROLE_PROPERTIES[resource.type] ?? [])).flatMap((property) => {
      const written = resource.properties?.[property];
      if (written === undefined || resource.type === undefined) return [];
      return [
        {
          logicalId: resource.logicalId,
          type: resource.type,
          property,
          path: [...resource.path, 'Properties', property],
          value: staticValue(written, template, parameters),
        },
      ];
    }),
  );
}

/** Parameter values the declaration passes (spec.parameters). */
export type ParameterValues = Readonly<Record<string, string | number | boolean>>;

/** A value as CloudFormation would send it, when that is known before deploying: written out, or a Ref to a
 * parameter whose value the declaration passes (or whose Default the template writes). Anything computed is not. */
export function staticValue(
  written: unknown,
  template: Record<string, unknown>,
  parameters: ParameterValues,
): StaticValue {
  if (typeof written === 'string') return { known: true, value: written };
  if (typeof written === 'number' || typeof written === 'boolean') return { known: true, value: String(written) };
  const [fn, argument] = isObject(written) ? (Object.entries(written)[0] ?? []) : [];
  const declared = isObject(template.Parameters) ? template.Parameters : {};
  if (fn === 'Ref' && typeof argument === 'string' && Object.hasOwn(declared, argument)) {
    const passed = Object.hasOwn(parameters, argument) ? parameters[argument] : undefined;
    const definition = declared[argument];
    const fallback = isObject(definition) ? definition.Default : undefined;
    const value = passed ?? fallback;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { known: true, value: String(value) };
    }
    return { known: false, why: `parameter ${argument} has no value in the declaration and no Default` };
  }
  const how = fn === undefined ? 'not a single value' : fn === 'Ref' ? `Ref ${String(argument)}` : fn;
  return {
    known: false,
    why: `it is computed (${how}) and driftless checks it before deploying: write the value, or pass it through a parameter (Ref) whose value the declaration sets`,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
