/** The EventBridge events the functions receive, shaped as the EventBridge event reference shows them, and their
 * parsers: a rule's pattern already selects them, but a rule can be edited and an event sent by hand, so an event
 * that does not parse is ignored with a log line, never retried. */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import {
  array,
  boolean,
  enum as enumOf,
  literal,
  looseObject,
  null as nullValue,
  record,
  string,
  unknown,
  type ZodType,
} from 'zod';
import { AWS_API_CALL_VIA_CLOUDTRAIL, type CloudTrailDetail } from '../shared/triggers/manual-change.ts';

/** The envelope every EventBridge event has. */
export interface EventBridgeEvent<Detail> {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Detail;
}

const envelope = {
  version: string(),
  id: string(),
  account: string(),
  time: string(),
  region: string(),
  resources: array(string()),
};

// ------------------------------------------------------------------------------------------------ CodeCommit

export const REPOSITORY_STATE_CHANGE = 'CodeCommit Repository State Change';
export const PULL_REQUEST_STATE_CHANGE = 'CodeCommit Pull Request State Change';

export interface RepositoryStateChangeDetail {
  readonly event: string;
  readonly repositoryName: string;
  readonly repositoryId?: string;
  readonly referenceType?: string;
  readonly referenceName?: string;
  readonly referenceFullName?: string;
  /** The new head; absent on referenceDeleted. */
  readonly commitId?: string;
  /** The previous head; absent on referenceCreated. */
  readonly oldCommitId?: string;
  readonly callerUserArn?: string;
}
export type RepositoryStateChangeEvent = EventBridgeEvent<RepositoryStateChangeDetail>;

const repositoryStateChange = looseObject({
  ...envelope,
  'detail-type': literal(REPOSITORY_STATE_CHANGE),
  source: literal('aws.codecommit'),
  detail: looseObject({
    event: string(),
    repositoryName: string(),
    repositoryId: string().optional(),
    referenceType: string().optional(),
    referenceName: string().optional(),
    referenceFullName: string().optional(),
    commitId: string().optional(),
    oldCommitId: string().optional(),
    callerUserArn: string().optional(),
  }),
});

export interface PullRequestStateChangeDetail {
  readonly event: string;
  readonly pullRequestId: string;
  readonly repositoryNames: readonly string[];
  readonly sourceCommit: string;
  readonly destinationCommit: string;
  readonly sourceReference?: string;
  readonly destinationReference: string;
  readonly pullRequestStatus?: string;
  readonly isMerged?: string;
  readonly title?: string;
  readonly author?: string;
  readonly callerUserArn?: string;
}
export type PullRequestStateChangeEvent = EventBridgeEvent<PullRequestStateChangeDetail>;

const pullRequestStateChange = looseObject({
  ...envelope,
  'detail-type': literal(PULL_REQUEST_STATE_CHANGE),
  source: literal('aws.codecommit'),
  detail: looseObject({
    event: string(),
    pullRequestId: string().min(1),
    repositoryNames: array(string()),
    sourceCommit: string().min(1),
    destinationCommit: string().min(1),
    sourceReference: string().optional(),
    destinationReference: string(),
    pullRequestStatus: string().optional(),
    isMerged: string().optional(),
    title: string().optional(),
    author: string().optional(),
    callerUserArn: string().optional(),
  }),
});

// ------------------------------------------------------------------------------------------------ ECS, CloudFormation

export const ECS_DEPLOYMENT_STATE_CHANGE = 'ECS Deployment State Change';
export const STACK_STATUS_CHANGE = 'CloudFormation Stack Status Change';

export interface EcsDeploymentStateChangeDetail {
  readonly eventType?: string;
  readonly eventName: string;
  readonly deploymentId: string;
  readonly updatedAt?: string;
  readonly reason?: string;
}
export type EcsDeploymentStateChangeEvent = EventBridgeEvent<EcsDeploymentStateChangeDetail>;

const ecsDeploymentStateChange = looseObject({
  ...envelope,
  'detail-type': literal(ECS_DEPLOYMENT_STATE_CHANGE),
  source: literal('aws.ecs'),
  detail: looseObject({
    eventType: string().optional(),
    eventName: string(),
    deploymentId: string().min(1),
    updatedAt: string().optional(),
    reason: string().optional(),
  }),
});

export interface StackStatusChangeDetail {
  readonly 'stack-id': string;
  readonly 'status-details': { readonly status: string; readonly 'status-reason'?: string };
  readonly 'client-request-token'?: string;
}
export type StackStatusChangeEvent = EventBridgeEvent<StackStatusChangeDetail>;

const stackStatusChange = looseObject({
  ...envelope,
  'detail-type': literal(STACK_STATUS_CHANGE),
  source: literal('aws.cloudformation'),
  detail: looseObject({
    'stack-id': string().min(1),
    'status-details': looseObject({ status: string(), 'status-reason': string().optional() }),
    'client-request-token': string().optional(),
  }),
});

// ------------------------------------------------------------------------------------------------ CloudTrail

export { AWS_API_CALL_VIA_CLOUDTRAIL };
export type CloudTrailApiCallEvent = EventBridgeEvent<CloudTrailDetail>;

const cloudTrailApiCall = looseObject({
  ...envelope,
  'detail-type': literal(AWS_API_CALL_VIA_CLOUDTRAIL),
  source: enumOf(['aws.ecs', 'aws.cloudformation']),
  detail: looseObject({
    eventVersion: string().optional(),
    eventID: string().min(1),
    eventTime: string().min(1),
    eventSource: string().min(1),
    eventName: string().min(1),
    awsRegion: string().optional(),
    readOnly: boolean().optional(),
    errorCode: string().optional(),
    errorMessage: string().optional(),
    userIdentity: looseObject({
      type: string().optional(),
      arn: string().optional(),
      principalId: string().optional(),
      invokedBy: string().optional(),
      sessionContext: looseObject({
        sessionIssuer: looseObject({ arn: string().optional(), type: string().optional() }).optional(),
      }).optional(),
    }).optional(),
    requestParameters: record(string(), unknown()).or(nullValue()).optional(),
    responseElements: record(string(), unknown()).or(nullValue()).optional(),
  }),
});

export type ScheduledEvent = EventBridgeEvent<Record<string, unknown>>;

// ------------------------------------------------------------------------------------------------ parsing

export type Parsed<T> = { readonly ok: true; readonly event: T } | { readonly ok: false; readonly reason: string };

function parser<T>(schema: ZodType, what: string): (event: unknown) => Parsed<T> {
  return (event) => {
    const parsed = schema.safeParse(event);
    if (parsed.success) return { ok: true, event: parsed.data as T };
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `not a ${what} event: ${problems}` };
  };
}

export const parseRepositoryStateChange = parser<RepositoryStateChangeEvent>(
  repositoryStateChange,
  REPOSITORY_STATE_CHANGE,
);
export const parsePullRequestStateChange = parser<PullRequestStateChangeEvent>(
  pullRequestStateChange,
  PULL_REQUEST_STATE_CHANGE,
);
export const parseEcsDeploymentStateChange = parser<EcsDeploymentStateChangeEvent>(
  ecsDeploymentStateChange,
  ECS_DEPLOYMENT_STATE_CHANGE,
);
export const parseStackStatusChange = parser<StackStatusChangeEvent>(stackStatusChange, STACK_STATUS_CHANGE);
export const parseCloudTrailApiCall = parser<CloudTrailApiCallEvent>(cloudTrailApiCall, AWS_API_CALL_VIA_CLOUDTRAIL);

/** The id and detail type of anything that looks like an EventBridge event, for log lines. */
export function eventLabel(event: unknown): { eventId?: string; detailType?: string } {
  if (typeof event !== 'object' || event === null) return {};
  const record = event as Record<string, unknown>;
  return {
    ...(typeof record.id === 'string' ? { eventId: record.id } : {}),
    ...(typeof record['detail-type'] === 'string' ? { detailType: record['detail-type'] } : {}),
  };
}
