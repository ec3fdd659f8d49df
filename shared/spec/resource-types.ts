/** The resource-type allowlist: which CloudFormation resource types, transforms and `AWS::CloudFormation::Init`
 * metadata a stack may declare, written as patterns in driftless.yaml (targets.resourceTypes) and in the deployment
 * (allowedResourceTypes). The one place the matching rules live, so validation, the run-time limits and the
 * CloudFormation role all read a pattern the same way. Pure. */

/** A template's Transform (or Fn::Transform macro) `<name>` is allowed by the pattern `Transform::<name>`. */
export const TRANSFORM_PREFIX = 'Transform::';
/** The pseudo-type that stands for `AWS::CloudFormation::Init` metadata (cfn-init runs it on instances). */
export const CLOUDFORMATION_INIT = 'AWS::CloudFormation::Init';

/** Services whose every type creates or grants permissions, or stands for resources created out of sight: a
 * wildcard over them is refused, each type is listed by name. */
const NAMED_ONLY_SERVICES = new Set(['AWS::IAM', 'AWS::Serverless']);
/** The AWS::CloudFormation types that do no hidden work; the others create stacks (here or in other accounts),
 * run code (custom resources, macros, hooks) or register types, so they are allowed only by name. */
const PLAIN_CLOUDFORMATION_TYPES = new Set(['WaitCondition', 'WaitConditionHandle']);

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9]*::[A-Za-z0-9]+::[A-Za-z0-9]+$/;
const SERVICE_PATTERN = /^([A-Za-z][A-Za-z0-9]*::[A-Za-z0-9]+)::\*$/;
const CUSTOM_TYPE = /^Custom::[A-Za-z0-9_@-]{1,60}$/;
const TRANSFORM_NAME = /^Transform::[A-Za-z0-9:._-]+$/;

/** True for what a wildcard never allows: nested stacks and the other hidden-work AWS::CloudFormation types, custom
 * resources (both spellings), AWS::IAM::* and AWS::Serverless::* types, transforms and Init metadata. */
export function isNamedOnly(type: string): boolean {
  if (type.startsWith('Custom::') || type.startsWith(TRANSFORM_PREFIX) || type === CLOUDFORMATION_INIT) return true;
  const service = serviceOf(type);
  if (service === undefined) return false;
  if (NAMED_ONLY_SERVICES.has(service)) return true;
  return service === 'AWS::CloudFormation' && !PLAIN_CLOUDFORMATION_TYPES.has(type.slice(service.length + 2));
}

/** `AWS::SQS` for `AWS::SQS::Queue`. */
function serviceOf(type: string): string | undefined {
  const parts = type.split('::');
  return parts.length === 3 ? `${parts[0]}::${parts[1]}` : undefined;
}

/** Why a pattern is refused, or undefined when it is one: an exact type, `Custom::<name>`, `Transform::<name>`, or
 * one service's types (`AWS::SQS::*`). A pattern wider than one service would allow types nobody reviewed. */
export function patternProblem(pattern: string): string | undefined {
  if (TYPE_NAME.test(pattern) || CUSTOM_TYPE.test(pattern) || TRANSFORM_NAME.test(pattern)) return undefined;
  const service = SERVICE_PATTERN.exec(pattern)?.[1];
  if (service !== undefined) {
    return NAMED_ONLY_SERVICES.has(service)
      ? `${pattern} would allow every ${service} type, and they ${service === 'AWS::IAM' ? 'create or grant permissions' : 'stand for resources a transform creates out of sight'}: list each type by name (e.g. ${service}::${service === 'AWS::IAM' ? 'Role' : 'Function'})`
      : undefined;
  }
  if (pattern === 'Custom::*' || pattern === 'Transform::*') {
    return `${pattern} would allow code nobody reviewed to run during a deployment: name each one (e.g. ${pattern === 'Custom::*' ? 'Custom::CertificateValidator' : 'Transform::AWS::LanguageExtensions'})`;
  }
  if (pattern.includes('*')) {
    return `${pattern} is wider than one service: write an exact type (AWS::SQS::Queue) or one service's types (AWS::SQS::*)`;
  }
  return `${pattern} is not a resource type pattern: write AWS::<Service>::<Type>, AWS::<Service>::*, Custom::<Name> or Transform::<name>`;
}

/** True when `type` (a resource type, `Transform::<name>` or AWS::CloudFormation::Init) is allowed by `patterns`.
 * Malformed patterns allow nothing. */
export function allows(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (pattern === type) return true;
    const service = SERVICE_PATTERN.exec(pattern)?.[1];
    if (
      service !== undefined &&
      serviceOf(type) === service &&
      !isNamedOnly(type) &&
      patternProblem(pattern) === undefined
    ) {
      return true;
    }
  }
  return false;
}

/** The sentence that says why `type` is refused by `patterns`; `where` names the list (targets.resourceTypes in
 * Settings). */
export function refusal(type: string, patterns: readonly string[], where: string): string {
  const what = type.startsWith(TRANSFORM_PREFIX)
    ? `transform ${type.slice(TRANSFORM_PREFIX.length)}`
    : type === CLOUDFORMATION_INIT
      ? `${CLOUDFORMATION_INIT} metadata`
      : type;
  const listed = patterns.length > 0 ? patterns.join(', ') : 'none';
  const service = serviceOf(type);
  const wildcard = service !== undefined && patterns.includes(`${service}::*`) ? `, not ${service}::*` : '';
  const hidden = isNamedOnly(type)
    ? `: it hides or grants what a stack does, so only its exact name allows it${wildcard}`
    : '';
  return `${what} is not allowed by ${where} (${listed})${hidden}; add ${type} there to allow it`;
}
