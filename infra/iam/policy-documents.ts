/** Grants folded into IAM statements and packed into policy documents that respect IAM's size quotas, measured the
 * way IAM measures them (JSON without whitespace) with the longest values the pseudo parameters can take. */
import { TerminalError } from '../../shared/errors.ts';
import type { Grant } from './stack-grants.ts';

export type Condition = NonNullable<Grant['condition']>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Condition;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

/** IAM's quota on one customer managed policy, in characters without whitespace. */
export const MANAGED_POLICY_SIZE_LIMIT = 6_144;
/** IAM's default quota of managed policies attached to one role (adjustable to 20; we do not assume it was). */
export const MANAGED_POLICIES_PER_ROLE = 10;

/** The longest values CloudFormation may substitute (the aws-us-gov partition, a 14-character region). */
const WORST_CASE: Readonly<Record<string, string>> = {
  '${AWS::Partition}': 'aws-us-gov',
  '${AWS::Region}': 'ap-southeast-5',
  '${AWS::AccountId}': '123456789012',
};

/** The derived permissions do not fit the role's managed policy quota. */
export class PolicyTooLargeError extends TerminalError {}

/** IAM's measure of a policy document, with the pseudo parameters at their longest. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\$\{AWS::[A-Za-z]+\}/g, (token) => WORST_CASE[token] ?? token).length;
}

const conditionKey = (condition: Condition | undefined) => (condition ? JSON.stringify(condition) : '');

/**
 * Folds grants into as few statements as keep them exact: the actions allowed on the same ARN under the same
 * condition share a statement, and statements with the same actions and condition share their ARNs.
 */
export function foldGrants(grants: readonly Grant[]): Statement[] {
  const actionsByPlace = new Map<string, { resource: string; condition?: Condition; actions: Set<string> }>();
  for (const grant of grants) {
    const key = `${grant.resource}\n${conditionKey(grant.condition)}`;
    const place = actionsByPlace.get(key) ?? {
      resource: grant.resource,
      ...(grant.condition ? { condition: grant.condition } : {}),
      actions: new Set<string>(),
    };
    place.actions.add(grant.action);
    actionsByPlace.set(key, place);
  }
  const byActions = new Map<string, { actions: string[]; condition?: Condition; resources: string[] }>();
  for (const place of actionsByPlace.values()) {
    const actions = [...place.actions].sort();
    const key = `${actions.join(',')}\n${conditionKey(place.condition)}`;
    const statement = byActions.get(key) ?? {
      actions,
      ...(place.condition ? { condition: place.condition } : {}),
      resources: [],
    };
    statement.resources.push(place.resource);
    byActions.set(key, statement);
  }
  return [...byActions.values()]
    .map(({ actions, condition, resources }) => ({
      Effect: 'Allow' as const,
      Action: actions,
      Resource: resources.sort(),
      ...(condition ? { Condition: condition } : {}),
    }))
    .sort(
      (a, b) =>
        (a.Action[0] ?? '').localeCompare(b.Action[0] ?? '') ||
        conditionKey(a.Condition).localeCompare(conditionKey(b.Condition)),
    );
}

function withSid(statement: Statement, sid: string): Statement {
  return { Sid: sid, ...statement };
}

/** Splits a statement that alone overflows a policy, by actions or else by ARNs, until each part fits with its Sid. */
function fitting(statement: Statement, limit: number, sidPrefix: string): Statement[] {
  const alone = policySize({ Version: '2012-10-17', Statement: [withSid(statement, `${sidPrefix}000`)] });
  if (alone <= limit) return [statement];
  const key = statement.Action.length >= 2 ? 'Action' : 'Resource';
  const items = statement[key];
  if (items.length < 2) {
    throw new PolicyTooLargeError(`a statement for ${statement.Action[0]} on ${items[0]} alone is ${alone} characters`);
  }
  const half = Math.ceil(items.length / 2);
  return [
    ...fitting({ ...statement, [key]: items.slice(0, half) }, limit, sidPrefix),
    ...fitting({ ...statement, [key]: items.slice(half) }, limit, sidPrefix),
  ];
}

/**
 * Packs statements, in order, into documents of at most `limit` characters each, naming every statement
 * `<sidPrefix><n>`; throws when more than `maxDocuments` would be needed.
 */
export function packStatements(
  statements: readonly Statement[],
  sidPrefix: string,
  limit = MANAGED_POLICY_SIZE_LIMIT,
  maxDocuments = MANAGED_POLICIES_PER_ROLE,
): PolicyDocument[] {
  const documents: Statement[][] = [];
  let current: Statement[] = [];
  let count = 0;
  for (const statement of statements.flatMap((each) => fitting(each, limit, sidPrefix))) {
    const named = withSid(statement, `${sidPrefix}${++count}`);
    if (current.length > 0 && policySize({ Version: '2012-10-17', Statement: [...current, named] }) > limit) {
      documents.push(current);
      current = [];
    }
    current.push(named);
  }
  if (current.length > 0) documents.push(current);
  if (documents.length > maxDocuments) {
    throw new PolicyTooLargeError(
      `the allowed resource types need ${documents.length} managed policies of at most ${limit} characters; a role ` +
        `may have ${maxDocuments}: allow fewer types (exact types rather than AWS::Svc::*) or pass cloudFormationRoleArn`,
    );
  }
  return documents.map((statement) => ({ Version: '2012-10-17', Statement: statement }));
}
