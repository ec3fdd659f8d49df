/** The deployment's limits over what stacks' templates declare and what services' references read: a template may
 * declare only the resource types, transforms and Init metadata the installation allows, its ECS resources may name
 * only the installation's clusters, and `${stack:…}` references may read only stacks under its prefix or in its
 * readStacks. Settings bound the same things at validate time; the effective limit is what both allow. */
import { clusterName } from '../spec/checks.ts';
import { type Diagnostic, diagnostic } from '../spec/diagnostics.ts';
import { unreadableStack } from '../spec/references.ts';
import type { CloudFormationStackDeclaration, EcsServiceDeclaration } from '../spec/repository.ts';
import { allows, refusal } from '../spec/resource-types.ts';
import { type TemplatePath, templateLocator } from '../spec/template-locator.ts';
import { declaredTypes, reachedClusters } from '../spec/template-reach.ts';
import type { DeploymentLimits } from './types.ts';

const WHERE = "this installation's limits";

/** Why a stack's template reaches outside the deployment, one diagnostic per finding at the template's line; empty
 * when it stays inside. `clusterOutside` says why a cluster written as an ARN lies elsewhere. */
export function templateOutsideDeployment(
  stack: CloudFormationStackDeclaration,
  limits: DeploymentLimits,
  clusterOutside: (cluster: string) => string | undefined,
): Diagnostic[] {
  const findings: { path: TemplatePath; code: 'E_RESOURCE_TYPE' | 'E_TARGET'; message: string }[] = [];
  const template = stack.template.parsed;
  const allowedTypes = limits.allowedResourceTypes;
  const refused = new Set<string>();
  if (allowedTypes !== undefined) {
    for (const declared of declaredTypes(template)) {
      if (allows(allowedTypes, declared.type)) continue;
      if (declared.logicalId !== undefined) refused.add(declared.logicalId);
      findings.push({
        path: declared.path,
        code: 'E_RESOURCE_TYPE',
        message: `${declared.logicalId ? `resource ${declared.logicalId}: ` : ''}${refusal(declared.type, allowedTypes, 'allowedResourceTypes of this installation')}`,
      });
    }
  }
  for (const reached of reachedClusters(template, stack.document.spec.parameters ?? {})) {
    // A resource refused for its type is not also reported for the cluster it names.
    if (refused.has(reached.logicalId)) continue;
    const { value } = reached;
    const where = `resource ${reached.logicalId}: ${reached.type} ${reached.property}`;
    const outside = !value.known
      ? `cannot be checked: ${value.why}`
      : (clusterOutside(value.value) ??
        (limits.allowedClusters && !limits.allowedClusters.map(clusterName).includes(clusterName(value.value))
          ? `is ${value.value}, not a cluster this installation may touch (allowed: ${limits.allowedClusters.join(', ') || 'none'})`
          : undefined));
    if (outside) findings.push({ path: reached.path, code: 'E_TARGET', message: `${where} ${outside}` });
  }
  if (findings.length === 0) return [];
  const locate = templateLocator(stack.template.path, stack.template.body);
  return findings.map((finding) =>
    diagnostic(finding.code, locate(finding.path), `template ${stack.template.path}: ${finding.message}`),
  );
}

/** E_REFERENCE for each `${stack:…}` of a service that reads a stack the deployment does not let it read. */
export function referencesOutsideDeployment(service: EcsServiceDeclaration, limits: DeploymentLimits): Diagnostic[] {
  const { stackNamePrefix, readStacks = [] } = limits;
  if (stackNamePrefix === undefined && limits.readStacks === undefined) return [];
  const readable = (stack: string) =>
    (stackNamePrefix !== undefined && stack.startsWith(stackNamePrefix)) || readStacks.includes(stack);
  const described = { stackNamePrefix: stackNamePrefix ?? '(none)', readStacks };
  return (service.references ?? []).flatMap((reference) =>
    readable(reference.stack)
      ? []
      : [
          diagnostic(
            'E_REFERENCE',
            reference.location,
            unreadableStack(reference.reference, reference.stack, described, WHERE),
          ),
        ],
  );
}
