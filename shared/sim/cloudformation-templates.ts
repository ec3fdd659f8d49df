/** CloudFormation templates as the simulator reads them: parsed once per body, parameters resolved and listed,
 * capabilities checked, tags converted between the API's list and a record. */
import type { Capability, Parameter, Tag } from '@aws-sdk/client-cloudformation';
import { parseTemplate } from '../spec/cloudformation-yaml.ts';
import { cloudFormationErrors } from './errors.ts';

export type Template = Record<string, unknown>;

const NO_ECHO_MASK = '****';
const IAM_TYPES: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::Policy': '',
  'AWS::IAM::AccessKey': '',
  'AWS::IAM::UserToGroupAddition': '',
};

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) result[tag.Key ?? ''] = tag.Value ?? '';
  return result;
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function parameterString(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

/** Parsed templates by body: a template is parsed once however often it is compared or described. */
export class TemplateCache {
  private readonly parsedTemplates = new Map<string, Template>();

  template(body: string | undefined): Template | undefined {
    if (body === undefined) return undefined;
    let template = this.parsedTemplates.get(body);
    if (!template) {
      const parsed = parseTemplate(body);
      if (!parsed.template) return undefined;
      template = parsed.template;
      this.parsedTemplates.set(body, template);
    }
    return template;
  }

  parse(body: string): Template {
    const parsed = parseTemplate(body);
    if (!parsed.template) {
      const reason = parsed.error?.message ?? 'unreadable template';
      throw cloudFormationErrors.validation(
        /Resources/.test(reason)
          ? 'Template format error: At least one Resources member must be defined.'
          : `Template format error: ${reason}`,
      );
    }
    this.parsedTemplates.set(body, parsed.template);
    return parsed.template;
  }
}

function templateParameters(template: Template | undefined): Record<string, Record<string, unknown>> {
  const parameters = isObject(template?.Parameters) ? template.Parameters : {};
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, definition] of Object.entries(parameters)) result[name] = isObject(definition) ? definition : {};
  return result;
}

/** Parameters as the API lists them; NoEcho values masked. */
export function parameterList(values: Record<string, string>, template: Template | undefined): Parameter[] {
  const definitions = templateParameters(template);
  return Object.entries(values).map(([name, value]) => {
    const noEcho = definitions[name]?.NoEcho;
    return { ParameterKey: name, ParameterValue: noEcho === true || noEcho === 'true' ? NO_ECHO_MASK : value };
  });
}

/** Each template parameter's value: given, previous (UsePreviousValue), or default; unknown or missing ones fail. */
export function resolveParameters(
  template: Template,
  given: readonly Parameter[] | undefined,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const definitions = templateParameters(template);
  const byName = new Map((given ?? []).map((parameter) => [parameter.ParameterKey ?? '', parameter]));
  const unknown = [...byName.keys()].filter((name) => !(name in definitions));
  if (unknown.length > 0) {
    throw cloudFormationErrors.validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    const parameter = byName.get(name);
    if (parameter?.UsePreviousValue) {
      const value = previous?.[name];
      if (value === undefined) {
        throw cloudFormationErrors.validation(
          `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      }
      values[name] = value;
    } else if (parameter?.ParameterValue !== undefined) {
      values[name] = parameter.ParameterValue;
    } else if (definition.Default !== undefined) {
      values[name] = parameterString(definition.Default);
    } else {
      missing.push(name);
      continue;
    }
    const value = values[name] as string;
    const allowed = definition.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(value)) {
      throw cloudFormationErrors.validation(`Parameter '${name}' must be one of AllowedValues`);
    }
    if (
      typeof definition.AllowedPattern === 'string' &&
      !new RegExp(`^(?:${definition.AllowedPattern})$`).test(value)
    ) {
      throw cloudFormationErrors.validation(`Parameter '${name}' must match pattern ${definition.AllowedPattern}`);
    }
  }
  if (missing.length > 0) throw cloudFormationErrors.validation(`Parameters: [${missing.join(', ')}] must have values`);
  return values;
}

/** IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM; macros need CAPABILITY_AUTO_EXPAND. */
export function checkCapabilities(template: Template, capabilities: readonly Capability[]): void {
  const resources = isObject(template.Resources) ? template.Resources : {};
  let iam = false;
  let namedIam = false;
  for (const resource of Object.values(resources)) {
    if (!isObject(resource)) continue;
    const nameProperty = IAM_TYPES[String(resource.Type)];
    if (nameProperty === undefined) continue;
    iam = true;
    if (nameProperty && isObject(resource.Properties) && resource.Properties[nameProperty] !== undefined) {
      namedIam = true;
    }
  }
  if (namedIam && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_NAMED_IAM');
  }
  if (iam && !capabilities.includes('CAPABILITY_IAM') && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_IAM');
  }
  if (template.Transform !== undefined && !capabilities.includes('CAPABILITY_AUTO_EXPAND')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_AUTO_EXPAND');
  }
}

/** Logical ids of resources whose Properties or Metadata say `SimulateFailure: true`. Metadata is free-form in a
 * template, so a repository that driftless validates against the resource specification can carry the marker there. */
export function failingResources(template: Template | undefined): string[] {
  const resources = isObject(template?.Resources) ? template.Resources : {};
  const marked = (section: unknown) =>
    isObject(section) && (section.SimulateFailure === true || section.SimulateFailure === 'true');
  return Object.entries(resources)
    .filter(([, resource]) => isObject(resource) && (marked(resource.Properties) || marked(resource.Metadata)))
    .map(([logicalId]) => logicalId);
}
