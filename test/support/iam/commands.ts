/** The one table of what IAM authorizes for each AWS SDK command driftless sends: the action or actions, the resource
 * ARN of each, and the request's condition context (request tags, passed role and service, Git reference, event
 * source, DynamoDB keys), as the service authorization references describe them. The IAM proof turns every recorded
 * call into these requests; a command missing here fails the proof and test/infra/iam-commands.test.ts. */
import { parseTemplate } from '../../../shared/spec/cloudformation-yaml.ts';

/** One authorization IAM makes for a call; a call may need several (a write and the role it passes, say). */
export interface AuthorizedRequest {
  /** `service:Action`, as policies name it. */
  readonly action: string;
  /** The ARN the action is authorized on, or `*` for actions that have no resource type. */
  readonly resource: string;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  /** AWS answers it for every principal whatever the policies say (sts:GetCallerIdentity). */
  readonly alwaysAllowed?: true;
}

/** Where the calls are made, and what the calls themselves do not say. */
export interface CallSite {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The installation's repository: UpdateComment names only a comment id. */
  readonly repository: string;
  /** The stack a change set belongs to (learned from CreateChangeSet): Execute/Describe/DeleteChangeSet may name the
   * change set by its ARN only, yet IAM authorizes them on the stack. */
  stackOfChangeSet(changeSetArn: string): string | undefined;
  /** The partition key attribute of a table (dynamodb:LeadingKeys), when known. */
  partitionKeyOf(table: string): string | undefined;
}

type Input = Readonly<Record<string, unknown>>;
type Authorize = (input: Input, at: CallSite) => AuthorizedRequest[];

/** The SDK packages driftless uses, by the service name their clients report (`client.config.serviceId`). */
export const SDK_PACKAGES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-application-auto-scaling': 'Application Auto Scaling',
  '@aws-sdk/client-cloudformation': 'CloudFormation',
  '@aws-sdk/client-codecommit': 'CodeCommit',
  '@aws-sdk/client-dynamodb': 'DynamoDB',
  '@aws-sdk/client-ecs': 'ECS',
  '@aws-sdk/client-eventbridge': 'EventBridge',
  '@aws-sdk/client-s3': 'S3',
  '@aws-sdk/client-secrets-manager': 'Secrets Manager',
  '@aws-sdk/client-sqs': 'SQS',
  '@aws-sdk/client-sts': 'STS',
};

/** A change set's stack id is not known before CloudFormation makes it; any id stands for "the stack of this name". */
export const UNKNOWN_STACK_ID = '00000000-0000-0000-0000-000000000000';
/** ECS numbers a revision when it registers it; any number stands for "the next revision". */
export const NEXT_REVISION = '1';

const text = (input: Input, key: string): string | undefined =>
  typeof input[key] === 'string' ? (input[key] as string) : undefined;
const list = (input: Input, key: string): Input[] => (Array.isArray(input[key]) ? (input[key] as Input[]) : []);
const required = (value: string | undefined, what: string): string => {
  if (value === undefined) throw new Error(`the call names no ${what}`);
  return value;
};
const request = (action: string, resource: string, context: AuthorizedRequest['context'] = {}): AuthorizedRequest => ({
  action,
  resource,
  context,
});

function arn(at: CallSite, service: string, resource: string, region = at.region, account = at.account): string {
  return `arn:${at.partition}:${service}:${region}:${account}:${resource}`;
}

/** aws:RequestTag/<key> for each tag and aws:TagKeys for all of them; none without tags. */
function requestTags(tags: readonly { key?: unknown; value?: unknown }[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  const context: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((tag) => String(tag.key)) };
  for (const tag of tags) context[`aws:RequestTag/${String(tag.key)}`] = String(tag.value ?? '');
  return context;
}

function passRole(roleArn: string | undefined, service: string): AuthorizedRequest[] {
  return roleArn === undefined ? [] : [request('iam:PassRole', roleArn, { 'iam:PassedToService': service })];
}

// ---------------------------------------------------------------------------------------------------------- ECS

function clusterArn(at: CallSite, cluster: string | undefined): string {
  const name = cluster ?? 'default';
  return name.startsWith('arn:') ? name : arn(at, 'ecs', `cluster/${name}`);
}

function serviceArn(at: CallSite, cluster: string | undefined, service: string): string {
  if (service.startsWith('arn:')) return service;
  const clusterName = clusterArn(at, cluster).split(':cluster/')[1] ?? '';
  return arn(at, 'ecs', `service/${clusterName}/${service}`);
}

/** ecs:cluster and ecs:service of a service deployment or revision, from its ARN
 * (…:service-deployment/<cluster>/<service>/<id>). */
function serviceChildContext(at: CallSite, childArn: string): AuthorizedRequest['context'] {
  const [, cluster, service] = /:service-(?:deployment|revision)\/([^/]+)\/([^/]+)\//.exec(childArn) ?? [];
  if (!cluster || !service) throw new Error(`${childArn} is not a service deployment or revision ARN`);
  return { 'ecs:cluster': clusterArn(at, cluster), 'ecs:service': serviceArn(at, cluster, service) };
}

const ecsTags = (input: Input) => requestTags(list(input, 'tags').map((tag) => ({ key: tag.key, value: tag.value })));

function onService(action: string): Authorize {
  return (input, at) => [
    request(action, serviceArn(at, text(input, 'cluster'), required(text(input, 'service'), 'service')), {
      'ecs:cluster': clusterArn(at, text(input, 'cluster')),
    }),
  ];
}

const record = (input: Input, key: string): Input =>
  typeof input[key] === 'object' && input[key] !== null && !Array.isArray(input[key]) ? (input[key] as Input) : {};

/** The roles a CreateService or UpdateService request hands to ECS, which assumes them itself (ECS infrastructure
 * roles trust ecs.amazonaws.com): the legacy load balancer role, and the roleArn of each load balancer's
 * advancedConfiguration, lifecycle hook, managed EBS volume, VPC Lattice configuration and Service Connect TLS. */
function serviceRolesPassed(input: Input): AuthorizedRequest[] {
  const deployment = record(input, 'deploymentConfiguration');
  const roles = [
    text(input, 'role'),
    ...list(input, 'loadBalancers').map((balancer) => text(record(balancer, 'advancedConfiguration'), 'roleArn')),
    ...list(deployment, 'lifecycleHooks').map((hook) => text(hook, 'roleArn')),
    ...list(input, 'volumeConfigurations').map((volume) => text(record(volume, 'managedEBSVolume'), 'roleArn')),
    ...list(input, 'vpcLatticeConfigurations').map((lattice) => text(lattice, 'roleArn')),
    ...list(record(input, 'serviceConnectConfiguration'), 'services').map((service) =>
      text(record(service, 'tls'), 'roleArn'),
    ),
  ];
  return [...new Set(roles)].flatMap((role) => passRole(role, 'ecs.amazonaws.com'));
}

const ECS: Record<string, Authorize> = {
  CreateService: (input, at) => {
    const service = serviceArn(at, text(input, 'cluster'), required(text(input, 'serviceName'), 'service'));
    const cluster = { 'ecs:cluster': clusterArn(at, text(input, 'cluster')) };
    const tags = ecsTags(input);
    return [
      request('ecs:CreateService', service, { ...cluster, ...tags }),
      // Tags sent with a create are authorized as tagging the new resource, with the create action named.
      ...(Object.keys(tags).length > 0
        ? [request('ecs:TagResource', service, { ...tags, 'ecs:CreateAction': 'CreateService' })]
        : []),
      ...serviceRolesPassed(input),
    ];
  },
  UpdateService: (input, at) => [...onService('ecs:UpdateService')(input, at), ...serviceRolesPassed(input)],
  DeleteService: onService('ecs:DeleteService'),
  DescribeServices: (input, at) =>
    (Array.isArray(input.services) ? (input.services as string[]) : []).map((service) =>
      request('ecs:DescribeServices', serviceArn(at, text(input, 'cluster'), service), {
        'ecs:cluster': clusterArn(at, text(input, 'cluster')),
      }),
    ),
  ListServiceDeployments: onService('ecs:ListServiceDeployments'),
  DescribeServiceDeployments: (input, at) =>
    (Array.isArray(input.serviceDeploymentArns) ? (input.serviceDeploymentArns as string[]) : []).map((deployment) =>
      request('ecs:DescribeServiceDeployments', deployment, serviceChildContext(at, deployment)),
    ),
  DescribeServiceRevisions: (input, at) =>
    (Array.isArray(input.serviceRevisionArns) ? (input.serviceRevisionArns as string[]) : []).map((revision) =>
      request('ecs:DescribeServiceRevisions', revision, serviceChildContext(at, revision)),
    ),
  ListServices: (input, at) => [
    request('ecs:ListServices', '*', { 'ecs:cluster': clusterArn(at, text(input, 'cluster')) }),
  ],
  DescribeTaskDefinition: () => [request('ecs:DescribeTaskDefinition', '*')],
  RegisterTaskDefinition: (input, at) => {
    const revision = arn(at, 'ecs', `task-definition/${required(text(input, 'family'), 'family')}:${NEXT_REVISION}`);
    const tags = ecsTags(input);
    return [
      request('ecs:RegisterTaskDefinition', revision, tags),
      ...(Object.keys(tags).length > 0
        ? [request('ecs:TagResource', revision, { ...tags, 'ecs:CreateAction': 'RegisterTaskDefinition' })]
        : []),
      // ECS checks that the caller may pass the task's roles to the tasks it will run.
      ...passRole(text(input, 'taskRoleArn'), 'ecs-tasks.amazonaws.com'),
      ...passRole(text(input, 'executionRoleArn'), 'ecs-tasks.amazonaws.com'),
    ];
  },
  DeregisterTaskDefinition: (input, at) => [
    request('ecs:DeregisterTaskDefinition', taskDefinitionArn(at, required(text(input, 'taskDefinition'), 'revision'))),
  ],
  TagResource: (input) => [
    request('ecs:TagResource', required(text(input, 'resourceArn'), 'resource'), ecsTags(input)),
  ],
  UntagResource: (input) => [
    request('ecs:UntagResource', required(text(input, 'resourceArn'), 'resource'), {
      'aws:TagKeys': Array.isArray(input.tagKeys) ? (input.tagKeys as string[]) : [],
    }),
  ],
  ListTagsForResource: (input) => [
    request('ecs:ListTagsForResource', required(text(input, 'resourceArn'), 'resource')),
  ],
};

function taskDefinitionArn(at: CallSite, reference: string): string {
  return reference.startsWith('arn:') ? reference : arn(at, 'ecs', `task-definition/${reference}`);
}

// ---------------------------------------------------------------------------------------------------------- CloudFormation

function stackArn(at: CallSite, nameOrId: string): string {
  return nameOrId.startsWith('arn:') ? nameOrId : arn(at, 'cloudformation', `stack/${nameOrId}/${UNKNOWN_STACK_ID}`);
}

/** The stack a change-set call is authorized on: its StackName, or the stack the change set ARN was created for. */
function stackOfChangeSetCall(input: Input, at: CallSite): string {
  const stack = text(input, 'StackName');
  if (stack !== undefined) return stackArn(at, stack);
  const changeSet = required(text(input, 'ChangeSetName'), 'change set');
  const known = at.stackOfChangeSet(changeSet);
  if (known === undefined)
    throw new Error(`the stack of change set ${changeSet} is not known (no CreateChangeSet seen)`);
  return stackArn(at, known);
}

function onChangeSet(action: string): Authorize {
  return (input, at) => [
    request(action, stackOfChangeSetCall(input, at), {
      ...(text(input, 'ChangeSetName')?.startsWith('arn:')
        ? {}
        : { 'cloudformation:ChangeSetName': text(input, 'ChangeSetName') ?? '' }),
    }),
  ];
}

/** The resource types and transforms a template declares (cloudformation:ResourceTypes, transform ARNs). */
function templateContents(body: string | undefined): { types: string[]; transforms: string[] } {
  const template = body === undefined ? undefined : parseTemplate(body).template;
  const resources = Object.values((template?.Resources ?? {}) as Record<string, { Type?: unknown }>);
  const types = [...new Set(resources.map((resource) => String(resource.Type)))].sort();
  const transform = template?.Transform;
  const transforms = (Array.isArray(transform) ? transform : transform === undefined ? [] : [transform]).map(String);
  return { types, transforms };
}

const CLOUDFORMATION: Record<string, Authorize> = {
  DescribeStacks: (input, at) => {
    const name = text(input, 'StackName');
    return [request('cloudformation:DescribeStacks', name === undefined ? '*' : stackArn(at, name))];
  },
  ListStacks: () => [request('cloudformation:ListStacks', '*')],
  GetTemplate: (input, at) => [
    request('cloudformation:GetTemplate', stackArn(at, required(text(input, 'StackName'), 'stack'))),
  ],
  CreateChangeSet: (input, at) => {
    const stack = stackArn(at, required(text(input, 'StackName'), 'stack'));
    const tags = requestTags(list(input, 'Tags').map((tag) => ({ key: tag.Key, value: tag.Value })));
    const role = text(input, 'RoleARN');
    const { types, transforms } = templateContents(text(input, 'TemplateBody'));
    return [
      request('cloudformation:CreateChangeSet', stack, {
        'cloudformation:ChangeSetName': required(text(input, 'ChangeSetName'), 'change set name'),
        ...(role === undefined ? {} : { 'cloudformation:RoleArn': role }),
        ...(types.length > 0 ? { 'cloudformation:ResourceTypes': types } : {}),
        ...tags,
      }),
      ...transforms.map((name) =>
        request('cloudformation:CreateChangeSet', arn(at, 'cloudformation', `transform/${name}`, at.region, 'aws')),
      ),
      ...(Object.keys(tags).length > 0
        ? [request('cloudformation:TagResource', stack, { ...tags, 'cloudformation:CreateAction': 'CreateChangeSet' })]
        : []),
      ...passRole(role, 'cloudformation.amazonaws.com'),
    ];
  },
  DescribeChangeSet: onChangeSet('cloudformation:DescribeChangeSet'),
  ExecuteChangeSet: onChangeSet('cloudformation:ExecuteChangeSet'),
  DeleteChangeSet: onChangeSet('cloudformation:DeleteChangeSet'),
  DeleteStack: (input, at) => {
    const role = text(input, 'RoleARN');
    return [
      request('cloudformation:DeleteStack', stackArn(at, required(text(input, 'StackName'), 'stack')), {
        ...(role === undefined ? {} : { 'cloudformation:RoleArn': role }),
      }),
      ...passRole(role, 'cloudformation.amazonaws.com'),
    ];
  },
  UpdateTerminationProtection: (input, at) => [
    request('cloudformation:UpdateTerminationProtection', stackArn(at, required(text(input, 'StackName'), 'stack'))),
  ],
};

// ---------------------------------------------------------------------------------------------------------- DynamoDB

function tableArn(at: CallSite, table: string, index?: string): string {
  return arn(at, 'dynamodb', `table/${table}${index === undefined ? '' : `/index/${index}`}`);
}

/** A DynamoDB attribute value's string form, as dynamodb:LeadingKeys compares it. */
function scalar(value: unknown): string {
  const typed = (value ?? {}) as Record<string, unknown>;
  return String(typed.S ?? typed.N ?? typed.B ?? '');
}

/** dynamodb:LeadingKeys (the partition key value) and, for a whole item, dynamodb:Attributes (its attribute names). */
function itemContext(
  at: CallSite,
  table: string,
  item: Input | undefined,
  whole: boolean,
): Record<string, string | string[]> {
  const key = at.partitionKeyOf(table);
  return {
    ...(key !== undefined && item?.[key] !== undefined ? { 'dynamodb:LeadingKeys': [scalar(item[key])] } : {}),
    ...(whole && item ? { 'dynamodb:Attributes': Object.keys(item).sort() } : {}),
  };
}

function onItem(action: string, itemKey: 'Item' | 'Key'): Authorize {
  return (input, at) => {
    const table = required(text(input, 'TableName'), 'table');
    const item = input[itemKey] as Input | undefined;
    return [
      request(action, tableArn(at, table), {
        ...itemContext(at, table, item, itemKey === 'Item'),
        ...(text(input, 'ReturnValues') ? { 'dynamodb:ReturnValues': text(input, 'ReturnValues') ?? '' } : {}),
      }),
    ];
  };
}

function onTable(action: string): Authorize {
  return (input, at) => [request(action, tableArn(at, required(text(input, 'TableName'), 'table')))];
}

/** Each item of a transaction is authorized as its own single-item action. */
const TRANSACTION_PARTS: Readonly<Record<string, [action: string, itemKey: 'Item' | 'Key']>> = {
  Put: ['dynamodb:PutItem', 'Item'],
  Update: ['dynamodb:UpdateItem', 'Key'],
  Delete: ['dynamodb:DeleteItem', 'Key'],
  ConditionCheck: ['dynamodb:ConditionCheckItem', 'Key'],
};

const DYNAMODB: Record<string, Authorize> = {
  PutItem: onItem('dynamodb:PutItem', 'Item'),
  GetItem: onItem('dynamodb:GetItem', 'Key'),
  UpdateItem: onItem('dynamodb:UpdateItem', 'Key'),
  DeleteItem: onItem('dynamodb:DeleteItem', 'Key'),
  Query: (input, at) => [
    request('dynamodb:Query', tableArn(at, required(text(input, 'TableName'), 'table'), text(input, 'IndexName'))),
  ],
  Scan: (input, at) => [
    request('dynamodb:Scan', tableArn(at, required(text(input, 'TableName'), 'table'), text(input, 'IndexName'))),
  ],
  TransactWriteItems: (input, at) =>
    list(input, 'TransactItems').flatMap((part) =>
      Object.entries(TRANSACTION_PARTS).flatMap(([kind, [action, itemKey]]) => {
        const body = part[kind] as Input | undefined;
        if (body === undefined) return [];
        const table = required(text(body, 'TableName'), 'table');
        return [
          request(action, tableArn(at, table), {
            ...itemContext(at, table, body[itemKey] as Input | undefined, itemKey === 'Item'),
            // ConditionCheckItem is authorized without it (it has no other enclosing operation).
            ...(kind === 'ConditionCheck' ? {} : { 'dynamodb:EnclosingOperation': 'TransactWriteItems' }),
          }),
        ];
      }),
    ),
  CreateTable: onTable('dynamodb:CreateTable'),
  DescribeTable: onTable('dynamodb:DescribeTable'),
  UpdateTable: onTable('dynamodb:UpdateTable'),
  DeleteTable: onTable('dynamodb:DeleteTable'),
  DescribeTimeToLive: onTable('dynamodb:DescribeTimeToLive'),
  UpdateTimeToLive: onTable('dynamodb:UpdateTimeToLive'),
};

// ---------------------------------------------------------------------------------------------------------- CodeCommit

function repositoryArn(at: CallSite, name: string | undefined): string {
  return arn(at, 'codecommit', name ?? at.repository);
}

function onRepository(action: string): Authorize {
  return (input, at) => [request(action, repositoryArn(at, text(input, 'repositoryName')))];
}

/** The branch a write goes to, as codecommit:References carries it. */
function onBranch(action: string): Authorize {
  return (input, at) => [
    request(action, repositoryArn(at, text(input, 'repositoryName')), {
      'codecommit:References': `refs/heads/${required(text(input, 'branchName'), 'branch')}`,
    }),
  ];
}

const CODECOMMIT: Record<string, Authorize> = {
  GetBranch: onRepository('codecommit:GetBranch'),
  GetCommit: onRepository('codecommit:GetCommit'),
  GetFolder: onRepository('codecommit:GetFolder'),
  GetFile: onRepository('codecommit:GetFile'),
  GetBlob: onRepository('codecommit:GetBlob'),
  GetDifferences: onRepository('codecommit:GetDifferences'),
  GetCommentsForPullRequest: onRepository('codecommit:GetCommentsForPullRequest'),
  PostCommentForPullRequest: onRepository('codecommit:PostCommentForPullRequest'),
  // UpdateComment names only the comment: the comment is on the installation's repository.
  UpdateComment: (_input, at) => [request('codecommit:UpdateComment', repositoryArn(at, undefined))],
  CreateBranch: onBranch('codecommit:CreateBranch'),
  CreateCommit: onBranch('codecommit:CreateCommit'),
  CreatePullRequest: (input, at) =>
    list(input, 'targets').map((target) =>
      request('codecommit:CreatePullRequest', repositoryArn(at, text(target, 'repositoryName'))),
    ),
};

// ---------------------------------------------------------------------------------------------------------- the rest

const EVENTBRIDGE: Record<string, Authorize> = {
  // One authorization per bus the entries go to, with the sources and detail types of its entries.
  PutEvents: (input, at) => {
    const byBus = new Map<string, Input[]>();
    for (const entry of list(input, 'Entries')) {
      const bus = text(entry, 'EventBusName') ?? 'default';
      byBus.set(bus, [...(byBus.get(bus) ?? []), entry]);
    }
    return [...byBus].map(([bus, entries]) =>
      request('events:PutEvents', bus.startsWith('arn:') ? bus : arn(at, 'events', `event-bus/${bus}`), {
        'events:source': [...new Set(entries.map((entry) => text(entry, 'Source') ?? ''))],
        'events:detail-type': [...new Set(entries.map((entry) => text(entry, 'DetailType') ?? ''))],
      }),
    );
  },
};

/** https://sqs.<region>.amazonaws.com/<account>/<name> → arn:…:sqs:<region>:<account>:<name>. */
function queueArn(at: CallSite, url: string): string {
  const [account = '', name = ''] = new URL(url).pathname.split('/').filter(Boolean);
  const region = /^sqs\.([a-z0-9-]+)\./.exec(new URL(url).hostname)?.[1] ?? at.region;
  return arn(at, 'sqs', name, region, account);
}

const SQS: Record<string, Authorize> = {
  // A batch is authorized as SendMessage.
  SendMessageBatch: (input, at) => [
    request('sqs:SendMessage', queueArn(at, required(text(input, 'QueueUrl'), 'queue'))),
  ],
  SendMessage: (input, at) => [request('sqs:SendMessage', queueArn(at, required(text(input, 'QueueUrl'), 'queue')))],
};

const S3: Record<string, Authorize> = {
  // The ledger archive's write: an object ARN has neither region nor account.
  PutObject: (input, at) => [
    request(
      's3:PutObject',
      `arn:${at.partition}:s3:::${required(text(input, 'Bucket'), 'bucket')}/${required(text(input, 'Key'), 'key')}`,
    ),
  ],
};

const SECRETS_MANAGER: Record<string, Authorize> = {
  // The functions name their secrets by full ARN (the context refuses anything else).
  GetSecretValue: (input) => [request('secretsmanager:GetSecretValue', required(text(input, 'SecretId'), 'secret'))],
};

const APPLICATION_AUTO_SCALING: Record<string, Authorize> = {
  // Only `driftless import` sends it, with the operator's credentials: no function does, so no role grants it (the
  // proof would find the denial if one did). The action has no resource type.
  DescribeScalableTargets: () => [request('application-autoscaling:DescribeScalableTargets', '*')],
};

const STS: Record<string, Authorize> = {
  GetCallerIdentity: () => [{ ...request('sts:GetCallerIdentity', '*'), alwaysAllowed: true }],
};

const BY_SERVICE: Readonly<Record<string, Record<string, Authorize>>> = {
  ECS,
  CloudFormation: CLOUDFORMATION,
  DynamoDB: DYNAMODB,
  CodeCommit: CODECOMMIT,
  EventBridge: EVENTBRIDGE,
  S3,
  'Secrets Manager': SECRETS_MANAGER,
  SQS,
  STS,
  'Application Auto Scaling': APPLICATION_AUTO_SCALING,
};

/** Every command, as `<serviceId>.<Command name without "Command">`. */
export const IAM_AUTHORIZATION: Readonly<Record<string, Authorize>> = Object.fromEntries(
  Object.entries(BY_SERVICE).flatMap(([service, commands]) =>
    Object.entries(commands).map(([command, authorize]) => [`${service}.${command}`, authorize]),
  ),
);

/** The requests IAM authorizes for one call; throws for a command the table does not know. */
export function authorizationsOf(service: string, command: string, input: Input, at: CallSite): AuthorizedRequest[] {
  const authorize = IAM_AUTHORIZATION[`${service}.${command}`];
  if (!authorize) throw new Error(`no IAM authorization is known for ${service}.${command}: add it to the table`);
  return authorize(input, at);
}
