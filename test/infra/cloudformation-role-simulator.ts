/** An offline evaluation of a synthesized IAM role with @cloud-copilot/iam-simulate: the role's policies are read
 * from the template, CloudFormation intrinsics resolved to one account and region, and each call (action, resource
 * ARN, request context) decided as IAM would. Self-contained on purpose: the functions' roles have their own
 * harness (test/support/iam/), which this can fold into. */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { Json } from './synth.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** How a logical ID reads once deployed: tables and log groups get ARNs named after it. */
function attributeOf(resources: Record<string, Json>, logicalId: string): string {
  const type = resources[logicalId]?.Type;
  if (type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId}`;
  if (type === 'AWS::Logs::LogGroup') return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logicalId}:*`;
  return `arn:aws:iam::${ACCOUNT}:role/${logicalId}`;
}

function referenceOf(resources: Record<string, Json>, name: string): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo;
  const resource = resources[name];
  const properties = (resource?.Properties ?? {}) as Json;
  if (resource?.Type === 'AWS::IAM::ManagedPolicy') {
    return `arn:aws:iam::${ACCOUNT}:policy/${(properties.ManagedPolicyName as string | undefined) ?? name}`;
  }
  return name;
}

/** Resolves Fn::Sub, Fn::Join, Fn::GetAtt and Ref as CloudFormation would in one account and region. */
export function resolveIntrinsics(value: unknown, resources: Record<string, Json>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resources));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Json;
  if ('Fn::Sub' in object) {
    return (object['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => referenceOf(resources, name));
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, resources)).join(separator);
  }
  if ('Fn::GetAtt' in object) return attributeOf(resources, (object['Fn::GetAtt'] as string[])[0]!);
  if ('Ref' in object) return referenceOf(resources, object.Ref as string);
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, resources)]));
}

export interface NamedPolicy {
  readonly name: string;
  readonly policy: { Version: string; Statement: Json[] };
}

/** Every policy the role has: the customer managed policies attached to it and its inline policies, resolved. */
export function policiesOfRole(resources: Record<string, Json>, roleId: string): NamedPolicy[] {
  const role = resources[roleId]!;
  const managed = (((role.Properties as Json).ManagedPolicyArns ?? []) as Json[]).map((reference) => {
    const id = reference.Ref as string;
    return { name: id, document: (resources[id]!.Properties as Json).PolicyDocument };
  });
  const inline = Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
    .filter(([, resource]) => JSON.stringify((resource.Properties as Json).Roles).includes(`"${roleId}"`))
    .map(([id, resource]) => ({ name: id, document: (resource.Properties as Json).PolicyDocument }));
  return [...managed, ...inline].map(({ name, document }) => ({
    name,
    policy: resolveIntrinsics(document, resources) as NamedPolicy['policy'],
  }));
}

/** One request as IAM authorizes it: the action, the resource ARN it is on, and its request context. */
export interface Call {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/**
 * Decides `call` for a principal holding `policies` (and, when given, bounded by `boundary`). A request the
 * simulator rejects (an unknown action, a resource ARN of no type the action takes, a context key the action does not
 * support) throws, so a test cannot pass on a call IAM would never see.
 */
export async function decide(
  policies: readonly NamedPolicy[],
  call: Call,
  boundary?: readonly NamedPolicy[],
): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/driftless-CloudFormationRole`,
      action: call.action,
      resource: { resource: call.resource, accountId: ACCOUNT },
      contextVariables: call.context ?? {},
    },
    identityPolicies: policies.map((policy) => ({ ...policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(boundary ? { permissionBoundaryPolicies: boundary.map((policy) => ({ ...policy })) } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new Error(`${call.action} on ${call.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
