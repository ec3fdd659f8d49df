/** Checks a stack's template before any AWS call: every resource type and property name exists in the CloudFormation
 * resource specification (a misspelling is E_TEMPLATE with a suggestion); every type, transform and Init metadata is
 * allowed by targets.resourceTypes (E_RESOURCE_TYPE); ECS resources name allowed clusters (E_TARGET) and roles
 * (E_ROLE); IAM roles and users carry a permissions boundary. Findings point at the template's own lines. Pure. */
import { clusterName, globToRegExp } from './checks.ts';
import { compareDiagnostics, type Diagnostic, type DiagnosticCode, diagnostic } from './diagnostics.ts';
import type { ParsedDocument } from './parse.ts';
import { propertiesOf, RESOURCE_SPEC_VERSION, suggestProperty, suggestType } from './resource-spec.ts';
import { allows, refusal } from './resource-types.ts';
import type { SettingsDocument } from './schema.ts';
import { type TemplatePath, templateLocator } from './template-locator.ts';
import {
  declaredTypes,
  reachedClusters,
  reachedRoles,
  type TemplateResource,
  templateResources,
} from './template-reach.ts';

type StackDocument = ParsedDocument & { kind: 'CloudFormationStack' };

interface Finding {
  readonly code: DiagnosticCode;
  readonly path: TemplatePath;
  readonly message: string;
}

/** Types whose properties are the author's own (a custom resource passes them to its handler as they are). */
const FREE_FORM = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
/** IAM identities that can carry a permissions boundary: the deployment's boundary must be on each. */
const BOUNDED_IAM_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User']);

/** Checks a template against the resource specification and, when Settings are known, against their targets. */
export function checkTemplate(
  stack: StackDocument,
  templatePath: string,
  body: string,
  template: Record<string, unknown>,
  settings: SettingsDocument | undefined,
): Diagnostic[] {
  const findings: Finding[] = [];
  const unknown = new Set<string>();
  for (const resource of templateResources(template)) {
    const problem = specificationProblem(resource);
    if (problem) {
      findings.push(problem);
      if (problem.path.at(-1) === 'Type') unknown.add(resource.logicalId);
    }
  }
  if (settings) findings.push(...targetFindings(stack, template, settings, unknown));
  if (findings.length === 0) return [];
  const locate = templateLocator(templatePath, body);
  return findings
    .map((finding) => diagnostic(finding.code, locate(finding.path), `template ${templatePath}: ${finding.message}`))
    .sort(compareDiagnostics);
}

/** The first thing about a resource the specification does not know: its type, else each misspelt property. */
function specificationProblem(resource: TemplateResource): Finding | undefined {
  const typePath = [...resource.path, 'Type'];
  if (resource.type === undefined) {
    return {
      code: 'E_TEMPLATE',
      path: typePath,
      message: `resource ${resource.logicalId} has no Type: every resource names its type (AWS::SQS::Queue)`,
    };
  }
  if (resource.type.startsWith('Custom::')) return undefined;
  const known = propertiesOf(resource.type);
  if (!known) {
    const suggestion = suggestType(resource.type);
    return {
      code: 'E_TEMPLATE',
      path: typePath,
      message: `resource ${resource.logicalId}: ${resource.type} is not a resource type in the CloudFormation resource specification (${RESOURCE_SPEC_VERSION})${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    };
  }
  if (FREE_FORM(resource.type)) return undefined;
  for (const property of Object.keys(resource.properties ?? {})) {
    // Fn::If and the other intrinsics may stand for the whole Properties mapping's content.
    if (known.has(property) || property.startsWith('Fn::')) continue;
    const suggestion = suggestProperty(resource.type, property);
    return {
      code: 'E_TEMPLATE',
      path: [...resource.path, 'Properties', property],
      message: `resource ${resource.logicalId}: ${resource.type} has no property ${property}${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    };
  }
  return undefined;
}

function targetFindings(
  stack: StackDocument,
  template: Record<string, unknown>,
  settings: SettingsDocument,
  unknown: ReadonlySet<string>,
): Finding[] {
  const targets = settings.spec.targets;
  const findings: Finding[] = [];
  const refused = new Set<string>();
  for (const declared of declaredTypes(template)) {
    if (declared.logicalId !== undefined && unknown.has(declared.logicalId) && declared.path.at(-1) === 'Type')
      continue;
    if (allows(targets.resourceTypes, declared.type)) continue;
    if (declared.logicalId !== undefined) refused.add(declared.logicalId);
    findings.push({
      code: 'E_RESOURCE_TYPE',
      path: declared.path,
      message: `${declared.logicalId ? `resource ${declared.logicalId}: ` : ''}${refusal(declared.type, targets.resourceTypes, 'targets.resourceTypes in Settings')}`,
    });
  }
  // A resource already refused for its type is not also reported for what it would do.
  const checked = (logicalId: string) => !refused.has(logicalId) && !unknown.has(logicalId);
  for (const resource of templateResources(template)) {
    if (!resource.type || !BOUNDED_IAM_TYPES.has(resource.type) || !checked(resource.logicalId)) continue;
    if (resource.properties?.PermissionsBoundary === undefined) {
      findings.push({
        code: 'E_RESOURCE_TYPE',
        path: [...resource.path, 'Type'],
        message: `resource ${resource.logicalId}: an ${resource.type} must carry a PermissionsBoundary (the deployment's permissions boundary policy ARN): the CloudFormation role may create IAM identities only under it`,
      });
    }
  }
  const parameters = stack.document.spec.parameters ?? {};
  const allowedClusters = targets.clusters.map(clusterName);
  for (const reached of reachedClusters(template, parameters)) {
    if (!checked(reached.logicalId)) continue;
    const where = `resource ${reached.logicalId}: ${reached.type} ${reached.property}`;
    const { value } = reached;
    if (!value.known) {
      findings.push({ code: 'E_TARGET', path: reached.path, message: `${where} cannot be checked: ${value.why}` });
    } else if (!allowedClusters.includes(clusterName(value.value))) {
      const unnamed = reached.path.at(-1) === 'Type' ? ' (it names none, so ECS uses the default cluster)' : '';
      findings.push({
        code: 'E_TARGET',
        path: reached.path,
        message: `${where} is ${value.value}${unnamed}, a cluster Settings do not allow (targets.clusters: ${targets.clusters.join(', ') || 'none'})`,
      });
    }
  }
  const patterns = targets.roleArnPatterns.map(globToRegExp);
  const allowedRoles = targets.roleArnPatterns.join(', ') || 'none are allowed';
  for (const reached of reachedRoles(template, parameters)) {
    if (!checked(reached.logicalId)) continue;
    const where = `resource ${reached.logicalId}: ${reached.type} ${reached.property}`;
    const { value } = reached;
    if (!value.known) {
      findings.push({ code: 'E_ROLE', path: reached.path, message: `${where} cannot be checked: ${value.why}` });
    } else if (!patterns.some((pattern) => pattern.test(value.value))) {
      findings.push({
        code: 'E_ROLE',
        path: reached.path,
        message: `${where} ${value.value} does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: ${allowedRoles})`,
      });
    }
  }
  return findings;
}
