/** The canonical form of a CloudFormation stack: its template as data, parameters as strings with the template's
 * defaults filled in, NoEcho parameters marked as not comparable, tags as a map. Pure. */
import { parseTemplate } from '../spec/cloudformation-yaml.ts';
import { asArray, isObject, isSystemTag, type JsonObject, prune, tagMap } from './canonical.ts';

/** What the API answers in place of a NoEcho parameter's value. */
export const NO_ECHO_MASK = '****';
/** Stands for a NoEcho parameter on both sides: its value can be neither shown nor compared. */
export const NOT_COMPARABLE = '(NoEcho: not comparable)';

function templateParameterInfo(template: Record<string, unknown> | undefined) {
  const parameters = isObject(template?.Parameters) ? template.Parameters : {};
  const defaults: Record<string, string> = {};
  const noEcho = new Set<string>();
  for (const [name, definition] of Object.entries(parameters)) {
    if (!isObject(definition)) continue;
    if (definition.Default !== undefined) defaults[name] = parameterString(definition.Default);
    if (definition.NoEcho === true || definition.NoEcho === 'true') noEcho.add(name);
  }
  return { defaults, noEcho };
}

function parameterString(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

export interface DeclaredStackInput {
  readonly spec: Record<string, unknown>;
  /** The declared template, parsed (short-form tags in long form). */
  readonly template: Record<string, unknown>;
}

/** A declared stack in canonical form: template as data, parameters as strings with template defaults filled,
 * tags as a map, NoEcho parameters replaced by a marker. */
export function normalizeDeclaredStack(input: DeclaredStackInput): JsonObject {
  const { defaults, noEcho } = templateParameterInfo(input.template);
  const declared = isObject(input.spec.parameters) ? input.spec.parameters : {};
  const parameters: Record<string, string> = { ...defaults };
  for (const [name, value] of Object.entries(declared)) parameters[name] = parameterString(value);
  for (const name of noEcho) if (name in parameters) parameters[name] = NOT_COMPARABLE;
  return {
    spec: (prune({
      template: input.template,
      parameters,
      tags: isObject(input.spec.tags)
        ? Object.fromEntries(Object.entries(input.spec.tags).filter(([key]) => !isSystemTag(key)))
        : undefined,
      roleArn: input.spec.roleArn,
      terminationProtection: input.spec.terminationProtection === true ? true : undefined,
    }) ?? {}) as JsonObject,
  };
}

/** The live stack (DescribeStacks item + GetTemplate body) in the same canonical form. A template that cannot be
 * read stays out of the comparison rather than reading as "empty". */
export function normalizeLiveStack(
  stack: Record<string, unknown>,
  templateBody: string | undefined,
  declaredTemplate: Record<string, unknown>,
  declaredSpec: Record<string, unknown> = {},
): JsonObject {
  const { noEcho } = templateParameterInfo(declaredTemplate);
  const parameters: Record<string, string> = {};
  for (const parameter of asArray(stack.Parameters)) {
    const name = String(parameter.ParameterKey);
    const value = String(parameter.ParameterValue ?? '');
    parameters[name] = noEcho.has(name) || value === NO_ECHO_MASK ? NOT_COMPARABLE : value;
  }
  const template = templateBody === undefined ? undefined : parseTemplate(templateBody).template;
  return {
    spec: (prune({
      template,
      parameters,
      tags: tagMap(stack.Tags, 'Key', 'Value'),
      // Left out of Git, the service role stays what it was (CloudFormation keeps the previous one) and termination
      // protection stays as set: neither can be reverted by applying, so neither is compared.
      roleArn: declaredSpec.roleArn === undefined ? undefined : stack.RoleARN,
      terminationProtection:
        declaredSpec.terminationProtection === undefined || stack.EnableTerminationProtection !== true
          ? undefined
          : true,
    }) ?? {}) as JsonObject,
  };
}
