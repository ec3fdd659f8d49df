/** The calls driftless must never be allowed to make: each allowed request aimed outside the deployment's targets
 * (another cluster, a stack without the prefix, a role outside the patterns or handed to another service, a branch
 * outside driftless/*, another event source, another repository, table, queue or secret, a lock-table item that is not
 * a webhook delivery's where a delivery was written), and the writes no function needs
 * (rewriting or deleting the ledger, DescribeStacks of every stack, a task definition without the managed-by tag). */
import { DELIVERY_KEY_PREFIX } from '../../../shared/triggers/webhook-deliveries.ts';
import type { AuthorizedRequest } from './commands.ts';

/** A request that must be denied, and why. */
export interface Forbidden {
  readonly principal: string;
  readonly request: AuthorizedRequest;
  readonly why: string;
}

export interface Targets {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly ledgerTable: string;
  readonly lockTable: string;
  readonly installationId: string;
}

const FOREIGN_CLUSTER = 'payments';
const FOREIGN_STACK_PREFIX = 'billing-';
const FOREIGN_ROLE = 'role/admin/Administrator';
const FOREIGN_SECRET = 'prod/database-password-Zz9Yy8';
const FOREIGN_ITEM = 'octo-org/platform-config#main';

type Variant = (request: AuthorizedRequest, targets: Targets) => { request: AuthorizedRequest; why: string }[];

const withResource = (request: AuthorizedRequest, resource: string): AuthorizedRequest => ({ ...request, resource });
const withContext = (request: AuthorizedRequest, context: AuthorizedRequest['context']): AuthorizedRequest => ({
  ...request,
  context,
});

const VARIANTS: readonly Variant[] = [
  // Another cluster: the service ARN (or the service deployment's or revision's), ecs:cluster and ecs:service move.
  (request) => {
    const service = /^(arn:[^:]+:ecs:[^:]+:\d+:)(service|service-deployment|service-revision)\/[^/]+\/(.+)$/.exec(
      request.resource,
    );
    const cluster = request.context['ecs:cluster'];
    if (!service && typeof cluster !== 'string') return [];
    const toForeign = (arn: unknown) =>
      typeof arn === 'string' ? arn.replace(/(cluster|service)\/[^/]+/, `$1/${FOREIGN_CLUSTER}`) : undefined;
    const moved = service
      ? withResource(request, `${service[1]}${service[2]}/${FOREIGN_CLUSTER}/${service[3]}`)
      : request;
    const context = { ...request.context };
    for (const key of ['ecs:cluster', 'ecs:service']) {
      const foreign = toForeign(request.context[key]);
      if (foreign !== undefined) context[key] = foreign;
    }
    return [{ request: withContext(moved, context), why: `in cluster ${FOREIGN_CLUSTER}, which is not allowed` }];
  },
  // A stack without the prefix.
  (request) => {
    const stack = /^(arn:[^:]+:cloudformation:[^:]+:\d+:stack\/)([^/]+)(\/.+)$/.exec(request.resource);
    return stack
      ? [
          {
            request: withResource(request, `${stack[1]}${FOREIGN_STACK_PREFIX}${stack[2]}${stack[3]}`),
            why: 'on a stack without the prefix',
          },
        ]
      : [];
  },
  // A role outside the patterns, and an allowed role handed to another service.
  (request, targets) =>
    request.action === 'iam:PassRole'
      ? [
          {
            request: withResource(request, `arn:${targets.partition}:iam::${targets.account}:${FOREIGN_ROLE}`),
            why: 'of a role outside roleArnPatterns',
          },
          {
            request: withContext(request, { 'iam:PassedToService': 'lambda.amazonaws.com' }),
            why: 'to a service the role is not for',
          },
        ]
      : [],
  // A branch outside driftless/*: the tracked branch itself.
  (request) =>
    request.context['codecommit:References'] === undefined
      ? []
      : [
          {
            request: withContext(request, { ...request.context, 'codecommit:References': 'refs/heads/main' }),
            why: 'on the tracked branch, outside driftless/*',
          },
        ],
  // Another repository.
  (request) => {
    const repository = /^(arn:[^:]+:codecommit:[^:]+:\d+:).+$/.exec(request.resource);
    return repository
      ? [{ request: withResource(request, `${repository[1]}someone-elses-config`), why: 'on another repository' }]
      : [];
  },
  // Another event source, alone or beside driftless's; and no source at all.
  (request) => {
    if (request.action !== 'events:PutEvents') return [];
    const { 'events:source': _source, ...rest } = request.context;
    return [
      { request: withContext(request, { ...rest, 'events:source': ['aws.ecs'] }), why: 'with the source aws.ecs' },
      {
        request: withContext(request, { ...rest, 'events:source': ['driftless', 'aws.ecs'] }),
        why: 'with an entry of source aws.ecs beside driftless',
      },
      { request: withContext(request, rest), why: 'without events:source' },
    ];
  },
  // Another table, another queue.
  (request) => {
    const table = /^(arn:[^:]+:dynamodb:[^:]+:\d+:table\/)[^/]+(.*)$/.exec(request.resource);
    if (table) return [{ request: withResource(request, `${table[1]}orders${table[2]}`), why: 'on another table' }];
    const queue = /^(arn:[^:]+:sqs:[^:]+:\d+:).+$/.exec(request.resource);
    return queue ? [{ request: withResource(request, `${queue[1]}orders`), why: 'to another queue' }] : [];
  },
  // Another secret.
  (request) => {
    const secret = /^(arn:[^:]+:secretsmanager:[^:]+:\d+:secret:).+$/.exec(request.resource);
    return secret && request.action === 'secretsmanager:GetSecretValue'
      ? [{ request: withResource(request, `${secret[1]}${FOREIGN_SECRET}`), why: 'of another secret' }]
      : [];
  },
  // A lock-table item that is not a webhook delivery's: the run lease, a branch's applied commit.
  (request) => {
    const keys = request.context['dynamodb:LeadingKeys'];
    if (!Array.isArray(keys) || !keys.some((key) => key.startsWith(DELIVERY_KEY_PREFIX))) return [];
    return ['LOCK#', 'APPLIED#'].map((prefix) => ({
      request: withContext(request, { ...request.context, 'dynamodb:LeadingKeys': [`${prefix}${FOREIGN_ITEM}`] }),
      why: `on a ${prefix} item, not a delivery`,
    }));
  },
  // A task definition not tagged as this installation's.
  (request, targets) => {
    if (request.action !== 'ecs:RegisterTaskDefinition') return [];
    const key = 'aws:RequestTag/driftless:managed-by';
    const { [key]: _tag, ...untagged } = request.context;
    return [
      { request: withContext(request, untagged), why: 'without the managed-by tag' },
      {
        request: withContext(request, { ...request.context, [key]: `not-${targets.installationId}` }),
        why: "tagged as another installation's",
      },
    ];
  },
];

/** Each allowed request aimed outside the targets. */
export function outsideTargets(principal: string, request: AuthorizedRequest, targets: Targets): Forbidden[] {
  return VARIANTS.flatMap((variant) => variant(request, targets)).map((variant) => ({ principal, ...variant }));
}

/** What no function may do to the audit trail, whatever calls it makes; and the read IAM scopes by name only. */
export function neverAllowed(principal: string, targets: Targets): Forbidden[] {
  const table = `arn:${targets.partition}:dynamodb:${targets.region}:${targets.account}:table/${targets.ledgerTable}`;
  const ledger = (action: string): Forbidden => ({
    principal,
    request: { action, resource: table, context: {} },
    why: 'on the append-only ledger',
  });
  return [
    ledger('dynamodb:DeleteItem'),
    ledger('dynamodb:UpdateItem'),
    ledger('dynamodb:BatchWriteItem'),
    ledger('dynamodb:PartiQLDelete'),
    ledger('dynamodb:DeleteTable'),
    ledger('dynamodb:UpdateTable'),
    ledger('dynamodb:Scan'),
    {
      principal,
      request: { action: 'cloudformation:DescribeStacks', resource: '*', context: {} },
      why: 'of every stack of the account',
    },
  ];
}
