/** Which IAM actions CloudFormation needs to create, update and delete one allowed resource type, on which ARNs and
 * under which tag conditions, derived from the IAM service authorization data (no hand-kept list per type). */
import { MANAGED_BY_TAG_KEY } from '../../shared/util.ts';
import { type ScopedArn, type StackScope, scopeArn } from './arn-scope.ts';
import {
  type CloudFormationType,
  iamResourceTypesOf,
  iamServiceOf,
  lookupType,
  namespaceOf,
  typeNameOf,
  typesOfNamespace,
} from './cloudformation-types.ts';
import { type IamAction, iamActions, iamResourceTypes, isWriteAction, supportsConditionKey } from './iam-data.ts';

/** One action allowed on one ARN pattern, under at most one condition block. */
export interface Grant {
  /** e.g. ec2:CreateVpc */
  readonly action: string;
  /** ARN pattern with `${AWS::…}` pseudo parameters, or `*`. */
  readonly resource: string;
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** Verbs of actions that bring a new resource into being: its tags travel in the request (aws:RequestTag). */
const CREATE_VERBS = new Set(['create', 'allocate', 'run', 'request', 'register', 'import']);

/** `SecurityGroupIngress` → [security, group, ingress]; `VPCGatewayAttachment` → [vpc, gateway, attachment]. */
export function wordsOf(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((word) => word.toLowerCase());
}

const singular = (word: string) =>
  word.endsWith('ies')
    ? `${word.slice(0, -3)}y`
    : word.endsWith('s') && !word.endsWith('ss')
      ? word.slice(0, -1)
      : word;

/** Whether `words` begin with `start`, compared in the singular (DescribeVpcs, Policies). */
function beginsWith(words: readonly string[], start: readonly string[]): boolean {
  return start.length <= words.length && start.every((word, index) => singular(words[index]!) === singular(word));
}

/**
 * Whether the action is one of the type's own by name: its object (what follows the verb) begins with the type's
 * name, as CreateVpc, DescribeVpcs, ModifyVpcAttribute do for VPC, or (`qualified`, for a type no write begins
 * with) is the type's name after one qualifier (ChangeResourceRecordSets for RecordSet). When the words after the
 * type's name make another type of the namespace (CreateVpcEndpoint: VPCEndpoint, PutBucketPolicy: BucketPolicy),
 * the action is that type's, unless the type has a property of that name (AuthorizeSecurityGroupIngress:
 * SecurityGroup.SecurityGroupIngress).
 */
function namedFor(
  action: IamAction,
  type: CloudFormationType,
  namespaceTypes: readonly string[],
  qualified = false,
): boolean {
  const object = wordsOf(action.name).slice(1);
  const own = wordsOf(typeNameOf(type.name));
  if (qualified) return object.length === own.length + 1 && beginsWith(object.slice(1), own);
  if (!beginsWith(object, own)) return false;
  const rest = object.slice(own.length);
  const properties = type.properties.map(wordsOf);
  for (let length = 1; length <= rest.length; length++) {
    const longer = [...own, ...rest.slice(0, length)];
    const another = namespaceTypes.some((other) => {
      const words = wordsOf(typeNameOf(other));
      return words.length === longer.length && beginsWith(words, longer);
    });
    const property = properties.some((words) => beginsWith(words, longer) || beginsWith(words, rest.slice(0, length)));
    if (another && !property) return false;
  }
  return true;
}

/**
 * Whether a write acts on the type's IAM resource alone and on one of its properties (PutTargets: Rule.Targets,
 * PutRetentionPolicy: LogGroup.RetentionInDays, AssociateKmsKey: LogGroup.KmsKeyId), or tags it. A resource-policy
 * write (Permissions management) must name the property in full (UpdateAssumeRolePolicy:
 * Role.AssumeRolePolicyDocument), so a type's policy is left to the type named for it.
 */
function propertyWriteOf(action: IamAction, type: CloudFormationType, resourceTypes: readonly string[]): boolean {
  if (resourceTypes.length === 0 || !isWriteAction(action)) return false;
  const own = (each: { name: string }) => resourceTypes.includes(each.name);
  if (action.accessLevel.startsWith('Tagging')) return action.resourceTypes.some(own);
  const required = action.resourceTypes.filter((each) => each.required);
  const relevant = required.length > 0 ? required : action.resourceTypes;
  if (relevant.length === 0 || !relevant.every(own)) return false;
  const object = wordsOf(action.name).slice(1);
  const named = action.accessLevel.startsWith('Permissions management') ? object : object.slice(0, 1);
  return object.length > 0 && type.properties.some((property) => beginsWith(wordsOf(property), named));
}

/** Whether the action brings a new resource into being (CreateVpc, RunInstances, RegisterTaskDefinition). */
export function createsResource(action: IamAction): boolean {
  return (
    isWriteAction(action) &&
    !action.accessLevel.startsWith('Tagging') &&
    CREATE_VERBS.has(wordsOf(action.name)[0] ?? '')
  );
}

function tagCondition(kind: 'RequestTag' | 'ResourceTag', scope: StackScope): Grant['condition'] {
  return { StringEquals: { [`aws:${kind}/${MANAGED_BY_TAG_KEY}`]: scope.installationId } };
}

/** The actions of one resource type, before they are placed on ARNs. */
export interface TypeActions {
  readonly type: string;
  readonly service: string;
  /** The IAM resource types standing for the CloudFormation type (none when the reference has none). */
  readonly resourceTypes: readonly string[];
  readonly actions: readonly IamAction[];
}

const REFERENCE_SUFFIXES = new Set(['id', 'ids', 'arn', 'arns', 'name', 'names']);

/**
 * The other types of the namespace that the type's properties and attributes end in naming: VpcId of
 * AWS::EC2::Subnet names AWS::EC2::VPC, DefaultNetworkAcl of AWS::EC2::VPC names AWS::EC2::NetworkAcl. A handler
 * reads them to resolve and report those values (the VPC handler describes its default network ACL).
 */
function referencedTypes(type: CloudFormationType, namespaceTypes: readonly string[]): CloudFormationType[] {
  const names = [...type.properties, ...type.attributes].map((name) => {
    const words = wordsOf(name);
    return REFERENCE_SUFFIXES.has(words.at(-1) ?? '') ? words.slice(0, -1) : words;
  });
  return namespaceTypes
    .filter((other) => other !== type.name)
    .filter((other) => {
      const own = wordsOf(typeNameOf(other));
      return names.some((words) => words.length >= own.length && beginsWith(words.slice(-own.length), own));
    })
    .map((other) => lookupType(other)!);
}

/**
 * The service's actions CloudFormation's handlers for `type` call: named for it, writes of its properties, and the
 * reads (Read, List) named for the types it refers to.
 */
export function actionsFor(type: CloudFormationType): TypeActions {
  const service = iamServiceOf(type);
  const resourceTypes = iamResourceTypesOf(type, service);
  const namespaceTypes = typesOfNamespace(namespaceOf(type.name));
  const referenced = referencedTypes(type, namespaceTypes);
  const candidates = iamActions(service).filter((action) => !(service === 'iam' && action.name === 'PassRole'));
  const named = candidates.filter((action) => namedFor(action, type, namespaceTypes));
  const qualified = named.some(isWriteAction)
    ? []
    : candidates.filter((action) => namedFor(action, type, namespaceTypes, true));
  const actions = candidates.filter(
    (action) =>
      named.includes(action) ||
      qualified.includes(action) ||
      propertyWriteOf(action, type, resourceTypes) ||
      (!isWriteAction(action) && referenced.some((other) => namedFor(action, other, namespaceTypes))),
  );
  return { type: type.name, service, resourceTypes, actions };
}

/**
 * Places each action on the ARNs of the resource types it is authorized against:
 * - a resource whose ARN carries its name: the `<prefix>*` pattern, no condition (the name is the confinement);
 * - a resource known by ID that a write targets: `aws:RequestTag/driftless:managed-by` when the action creates it,
 *   `aws:ResourceTag/driftless:managed-by` when it changes it, each only where the reference says the action supports
 *   the key for that resource; what the new resource is created in (the VPC of a subnet) or uses (an IPAM pool) is
 *   not narrowed beyond its ARN;
 * - tagging actions also during creation, where the service has a `<service>:CreateAction` key (ec2:CreateTags);
 * - `*` only for actions that define no resource type.
 * `ownResourceTypes` are the IAM resource types of all allowed types of the service: a tagging action reaches only
 * them (ec2:CreateTags lists every EC2 resource type). `createActions` are the service's granted create actions.
 */
export function grantsFor(
  { service, actions }: TypeActions,
  scope: StackScope,
  ownResourceTypes: ReadonlySet<string>,
  createActions: readonly string[],
): Grant[] {
  const formats = iamResourceTypes(service);
  const grants: Grant[] = [];
  for (const action of actions) {
    const name = `${service}:${action.name}`;
    const write = isWriteAction(action);
    const tagging = action.accessLevel.startsWith('Tagging');
    const creates = createsResource(action);
    const types = action.resourceTypes.filter((type) => type.required || !tagging || ownResourceTypes.has(type.name));
    if (action.resourceTypes.length === 0) {
      const requestTagged = write && creates && supportsConditionKey(action, 'aws:RequestTag/${TagKey}');
      grants.push({
        action: name,
        resource: '*',
        ...(requestTagged ? { condition: tagCondition('RequestTag', scope) } : {}),
      });
      continue;
    }
    for (const type of types) {
      const format = formats[type.name];
      if (!format) continue;
      const scoped: ScopedArn = scopeArn(format.arn, scope);
      const place = (condition?: Grant['condition']) => {
        for (const resource of scoped.arns) {
          grants.push({ action: name, resource, ...(condition ? { condition } : {}) });
        }
      };
      const target = type.required || (tagging && ownResourceTypes.has(type.name));
      if (scoped.named || !write || !target) {
        place();
      } else if (creates) {
        const tagged = supportsConditionKey(action, 'aws:RequestTag/${TagKey}', type.name);
        place(tagged ? tagCondition('RequestTag', scope) : undefined);
      } else {
        const tagged = supportsConditionKey(action, 'aws:ResourceTag/${TagKey}', type.name);
        place(tagged ? tagCondition('ResourceTag', scope) : undefined);
        if (tagging && supportsConditionKey(action, `${service}:CreateAction`) && createActions.length > 0) {
          place({ StringEquals: { [`${service}:CreateAction`]: [...createActions] } });
        }
      }
    }
  }
  return grants;
}
