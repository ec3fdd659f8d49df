/** The cdk-nag AwsSolutions-IAM5 suppressions of the CloudFormation service role, written from the derived
 * statements themselves: each names one wildcard ARN exactly and says why it cannot be narrower, and which actions
 * it carries without a condition, so a reviewer reads the real scope in the synthesized template. */
import type * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import type { PolicyDocument, Statement } from '../iam/policy-documents.ts';

/** cdk-nag's spelling of a resource in a finding: `${AWS::Region}` → `<AWS::Region>`. */
const findingOf = (resource: string) => `Resource::${resource.replace(/\$\{(AWS::[A-Za-z]+)\}/g, '<$1>')}`;

interface Placement {
  readonly conditioned: Set<string>;
  readonly free: Set<string>;
}

function placements(statements: readonly Statement[]): Map<string, Placement> {
  const byResource = new Map<string, Placement>();
  for (const statement of statements) {
    for (const resource of statement.Resource) {
      if (!resource.includes('*')) continue;
      const placement = byResource.get(resource) ?? { conditioned: new Set<string>(), free: new Set<string>() };
      for (const action of statement.Action) (statement.Condition ? placement.conditioned : placement.free).add(action);
      byResource.set(resource, placement);
    }
  }
  return byResource;
}

function reasonFor(resource: string, placement: Placement, stackNamePrefix: string): string {
  const free = [...placement.free].sort().join(', ');
  const tagged = placement.conditioned.size;
  if (resource === '*') {
    return (
      'Actions that define no resource type in the IAM service authorization reference, so they cannot name an ARN' +
      (free ? `: ${free}` : '') +
      (tagged ? `; ${tagged} create action(s) here require the driftless:managed-by request tag` : '')
    );
  }
  if (resource.toLowerCase().includes(`${stackNamePrefix.toLowerCase()}*`)) {
    return (
      `Only resources whose name starts with the stack-name prefix ${stackNamePrefix} (CloudFormation's generated ` +
      'names start with the stack name; ECS services also only in the allowed clusters): the actions of the allowed ' +
      'types on their own resources'
    );
  }
  return (
    'Resources known only by an ID cannot be narrowed by name. ' +
    (tagged
      ? `${tagged} write(s) here require the driftless:managed-by tag the stacks carry (aws:ResourceTag, aws:RequestTag ` +
        'on create, <service>:CreateAction for tags set while creating). '
      : '') +
    (free
      ? `Allowed on any ID (reads; what a new resource is created in or uses; writes for which the reference ` +
        `gives no tag key): ${free}`
      : '')
  );
}

/** Suppresses, on each derived managed policy, exactly the wildcard ARNs it holds, each with its own reason. */
export function suppressDerivedWildcards(
  policies: readonly iam.ManagedPolicy[],
  documents: readonly PolicyDocument[],
  stackNamePrefix: string,
): void {
  policies.forEach((policy, index) => {
    const found = placements(documents[index]!.Statement);
    if (found.size === 0) return;
    NagSuppressions.addResourceSuppressions(
      policy,
      [...found].map(([resource, placement]) => ({
        id: 'AwsSolutions-IAM5',
        reason: reasonFor(resource, placement, stackNamePrefix),
        appliesTo: [findingOf(resource)],
      })),
    );
  });
}

/** The role allowlist on iam:PassRole, each pattern named. */
export function suppressRolePatterns(role: iam.Role, roleArnPatterns: readonly string[]): void {
  const wildcards = roleArnPatterns.filter((pattern) => pattern.includes('*'));
  if (wildcards.length === 0) return;
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'The deployment-configured role allowlist (roleArnPatterns): iam:PassRole only of these roles, only to ' +
          'ECS tasks, Lambda, EventBridge and Step Functions (iam:PassedToService)',
        appliesTo: wildcards.map((pattern) => `Resource::${pattern}`),
      },
    ],
    true,
  );
}

/** The created boundary: `<service>:*` caps a principal, it grants nothing by itself. */
export function suppressBoundary(boundary: iam.ManagedPolicy, statements: readonly Statement[]): void {
  const allows = statements.filter((statement) => statement.Effect === 'Allow');
  const services = allows.flatMap((statement) => statement.Action.filter((action) => action.endsWith(':*')));
  const patterns = allows.flatMap((statement) =>
    statement.Action.includes('iam:PassRole') ? statement.Resource.filter((arn) => arn.includes('*')) : [],
  );
  NagSuppressions.addResourceSuppressions(boundary, [
    ...(services.length > 0
      ? [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'A permissions boundary caps what the roles a stack creates may ever be granted; it grants nothing ' +
              'itself. The cap is the services of the allowed resource types, with IAM writes and driftless’s own ' +
              'tables and log groups denied',
            appliesTo: [...services.map((action) => `Action::${action}`), 'Resource::*'],
          },
        ]
      : []),
    ...(patterns.length > 0
      ? [
          {
            id: 'AwsSolutions-IAM5',
            reason: 'The deployment-configured role allowlist (roleArnPatterns), passable only to the listed services',
            appliesTo: patterns.map((pattern) => `Resource::${pattern}`),
          },
        ]
      : []),
  ]);
}
