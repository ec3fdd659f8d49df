/** What stacks may do in IAM itself, when the deployment allows `AWS::IAM::*` types: create and change principals
 * only under the deployment's permissions boundary, never remove a boundary, and nothing at all otherwise. The
 * boundary a deployment creates when it brings none is described here too. */
import { type StackScope, scopeArn } from './arn-scope.ts';
import { iamActions, iamResourceTypes, isWriteAction, supportsConditionKey } from './iam-data.ts';
import type { Statement } from './policy-documents.ts';
import type { Grant, TypeActions } from './stack-grants.ts';

const BOUNDARY_KEY = 'iam:PermissionsBoundary';

/**
 * The IAM types' actions on prefixed ARNs (`role/<prefix>*`, `policy/<prefix>*`), each write that supports
 * iam:PermissionsBoundary conditioned on it being `boundaryArn`.
 */
export function iamGrants(types: readonly TypeActions[], scope: StackScope, boundaryArn: string): Grant[] {
  const formats = iamResourceTypes('iam');
  const grants: Grant[] = [];
  for (const action of types.flatMap((type) => type.actions)) {
    const bounded = isWriteAction(action) && supportsConditionKey(action, BOUNDARY_KEY);
    const condition = bounded ? { StringEquals: { [BOUNDARY_KEY]: boundaryArn } } : undefined;
    const resources = action.resourceTypes.length === 0 ? ['*'] : [];
    for (const type of action.resourceTypes) {
      const format = formats[type.name];
      if (format) resources.push(...scopeArn(format.arn, scope).arns);
    }
    for (const resource of resources) {
      grants.push({ action: `iam:${action.name}`, resource, ...(condition ? { condition } : {}) });
    }
  }
  return grants;
}

/**
 * Explicit denies that hold whatever else the role is given: no boundary is ever removed, and no write that can name
 * a boundary succeeds without the deployment's (a missing key fails StringNotEquals, so unbounded writes are denied).
 */
export function iamDenies(boundaryArn: string): Statement[] {
  const boundable = iamActions('iam')
    .filter((action) => isWriteAction(action) && supportsConditionKey(action, BOUNDARY_KEY))
    .map((action) => `iam:${action.name}`)
    .sort();
  return [
    {
      Sid: 'DenyRemovingPermissionsBoundaries',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
      Resource: ['*'],
    },
    {
      Sid: 'DenyIamWritesWithoutTheBoundary',
      Effect: 'Deny',
      Action: boundable,
      Resource: ['*'],
      Condition: { StringNotEquals: { [BOUNDARY_KEY]: boundaryArn } },
    },
  ];
}

/** `iam:Create*`, `iam:Put*`, … : one pattern per verb of IAM's write actions, iam:PassRole excepted. */
export function iamWritePatterns(): string[] {
  const verbs = iamActions('iam')
    .filter((action) => isWriteAction(action) && action.name !== 'PassRole')
    .map((action) => action.name.match(/^[A-Z][a-z]+/)?.[0] ?? action.name);
  return [...new Set(verbs)].sort().map((verb) => `iam:${verb}*`);
}

/**
 * The permissions boundary a deployment creates when it brings none: at most the services of the allowed types
 * (a boundary caps, it grants nothing), roles passed only as the role allowlist allows, and no IAM write, so a role a
 * stack creates can never create or widen another. The denies on driftless's own tables and log groups are added by
 * the construct, which knows their ARNs.
 */
export function boundaryStatements(
  services: readonly string[],
  roleArnPatterns: readonly string[],
  roleConsumers: readonly string[],
): Statement[] {
  const runtime = services.filter((service) => service !== 'iam');
  return [
    ...(runtime.length > 0
      ? [
          {
            Sid: 'AllowedTypesServices',
            Effect: 'Allow' as const,
            Action: runtime.map((service) => `${service}:*`),
            Resource: ['*'],
          },
        ]
      : []),
    ...(roleArnPatterns.length > 0
      ? [
          {
            Sid: 'PassAllowedRoles',
            Effect: 'Allow' as const,
            Action: ['iam:PassRole'],
            Resource: [...roleArnPatterns],
            Condition: { StringEquals: { 'iam:PassedToService': [...roleConsumers] } },
          },
        ]
      : []),
    { Sid: 'DenyIamWrites', Effect: 'Deny', Action: iamWritePatterns(), Resource: ['*'] },
  ];
}
