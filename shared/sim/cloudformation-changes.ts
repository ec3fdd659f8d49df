/** The resource changes a change set lists, worked out by comparing the stack's template and parameters with the
 * submitted ones. */
import type { Change } from '@aws-sdk/client-cloudformation';
import { physicalId } from './cloudformation-outputs.ts';
import type { SimulatedStack } from './cloudformation-stacks.ts';
import { isObject, type Template } from './cloudformation-templates.ts';
import type { SimulatorContext } from './context.ts';
import { deepEqual } from './util.ts';

/** Resource changes from comparing the Resources sections, as DescribeChangeSet lists them. */
export function resourceChanges(
  context: SimulatorContext,
  stack: SimulatedStack,
  before: Template | undefined,
  after: Template,
  parametersBefore: Record<string, string>,
  parametersAfter: Record<string, string>,
  options: { tagsChanged: boolean },
): Change[] {
  const oldResources = isObject(before?.Resources) ? before.Resources : {};
  const newResources = isObject(after.Resources) ? after.Resources : {};
  const changedParameters = new Set(
    [...new Set([...Object.keys(parametersBefore), ...Object.keys(parametersAfter)])].filter(
      (name) => parametersBefore[name] !== parametersAfter[name],
    ),
  );
  const changes: Change[] = [];
  const typeOf = (resource: unknown) => (isObject(resource) ? String(resource.Type ?? '') : '');
  for (const [logicalId, resource] of Object.entries(newResources)) {
    const old = oldResources[logicalId];
    if (old === undefined) {
      changes.push({
        Type: 'Resource',
        ResourceChange: {
          Action: 'Add',
          LogicalResourceId: logicalId,
          ResourceType: typeOf(resource),
          Scope: [],
          Details: [],
        },
      });
      continue;
    }
    const scope: ('Properties' | 'Tags')[] = [];
    if (!deepEqual(old, resource) || referencesAny(resource, changedParameters)) scope.push('Properties');
    if (options.tagsChanged) scope.push('Tags');
    if (scope.length === 0) continue;
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: logicalId,
        PhysicalResourceId: physicalId(context, stack, logicalId, typeOf(old)),
        ResourceType: typeOf(resource),
        Replacement: 'False',
        Scope: scope,
        Details: [],
      },
    });
  }
  for (const [logicalId, resource] of Object.entries(oldResources)) {
    if (logicalId in newResources) continue;
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Remove',
        LogicalResourceId: logicalId,
        PhysicalResourceId: physicalId(context, stack, logicalId, typeOf(resource)),
        ResourceType: typeOf(resource),
        Scope: [],
        Details: [],
      },
    });
  }
  return changes;
}

/** Whether a resource definition refers to one of the parameters (Ref, or ${Name} in Fn::Sub). */
function referencesAny(value: unknown, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  if (Array.isArray(value)) return value.some((item) => referencesAny(item, names));
  if (!isObject(value)) return false;
  if (typeof value.Ref === 'string' && names.has(value.Ref)) return true;
  const sub = value['Fn::Sub'];
  const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  if (text !== undefined) {
    for (const match of text.matchAll(/\$\{([^}!.]+)\}/g)) if (names.has(match[1] as string)) return true;
  }
  return Object.values(value).some((child) => referencesAny(child, names));
}
