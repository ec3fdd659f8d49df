/**
 * Manual changes, from CloudTrail: which managed resource an "AWS API Call via CloudTrail" event changed, who made
 * the call, and whether driftless should answer it with a targeted reconcile. Pure: the Lambda function
 * (functions/manual-change.ts) and the demo use the same reading.
 *
 * Answered: successful write calls that change what driftless manages —
 * - ECS: CreateService, UpdateService, DeleteService (cluster and service from the request, a service ARN, or the
 *   response), TagResource / UntagResource on a service ARN;
 * - CloudFormation: CreateStack, UpdateStack, DeleteStack, ExecuteChangeSet, UpdateTerminationProtection,
 *   CancelUpdateStack, ContinueUpdateRollback, RollbackStack, SetStackPolicy (the stack from `stackName`, a name or
 *   a stack ARN). An ExecuteChangeSet named by change-set ARN alone does not say which stack it changed: every
 *   declared stack is reconciled.
 *
 * Not answered (each with a reason): driftless's own calls (the caller's role is one of the installation's roles,
 * so reverting never loops), failed calls (`errorCode` set: nothing changed), read-only calls, calls other services
 * make for Application Auto Scaling (it owns desiredCount), and calls on resources outside the deployment's limits.
 */

export const AWS_API_CALL_VIA_CLOUDTRAIL = 'AWS API Call via CloudTrail';

/** The resource selector for every declared stack (see onlyResources in shared/reconcile/scope.ts). */
export const ALL_STACKS = 'CloudFormationStack:*';

/** The CloudTrail record an "AWS API Call via CloudTrail" event carries as its detail (the fields read here). */
export interface CloudTrailDetail {
  readonly eventVersion?: string;
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly userIdentity?: {
    readonly type?: string;
    readonly arn?: string;
    readonly principalId?: string;
    readonly invokedBy?: string;
    readonly sessionContext?: { readonly sessionIssuer?: { readonly arn?: string; readonly type?: string } };
  };
  readonly requestParameters?: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
}

export const ECS_MANUAL_CHANGE_CALLS = [
  'CreateService',
  'UpdateService',
  'DeleteService',
  'TagResource',
  'UntagResource',
] as const;

export const STACK_MANUAL_CHANGE_CALLS = [
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'ExecuteChangeSet',
  'UpdateTerminationProtection',
  'CancelUpdateStack',
  'ContinueUpdateRollback',
  'RollbackStack',
  'SetStackPolicy',
] as const;

/** Callers that act for Application Auto Scaling: their UpdateService calls change desiredCount within its bounds. */
const AUTOSCALING_CALLERS = new Set([
  'application-autoscaling.amazonaws.com',
  'ecs.application-autoscaling.amazonaws.com',
]);

export interface ManualChangeScope {
  /** IAM role ARNs of driftless itself (its functions and its CloudFormation service role): their calls are ours. */
  readonly ownRoleArns: readonly string[];
  /** Clusters (names) the installation may touch. */
  readonly allowedClusters: readonly string[];
  /** Stack names must start with this. */
  readonly stackNamePrefix: string;
}

export type ManualChangeReading =
  | {
      readonly answer: 'reconcile';
      /** Resource ids (EcsService:<cluster>/<name>, CloudFormationStack:<name>); `CloudFormationStack:*` (every
       * declared stack) when the call named no stack. */
      readonly resources: readonly string[];
      /** The identity that made the call: the role a session was issued by, else the caller's own ARN. */
      readonly changedBy: string;
      /** `<service>:<EventName>`, e.g. ecs:UpdateService. */
      readonly apiCall: string;
      readonly eventId: string;
      readonly eventTime: string;
    }
  | { readonly answer: 'ignore'; readonly reason: string };

/** What the event asks of driftless, or why nothing. */
export function readManualChange(detail: CloudTrailDetail, scope: ManualChangeScope): ManualChangeReading {
  const service = detail.eventSource.split('.')[0] ?? detail.eventSource;
  const apiCall = `${service}:${detail.eventName}`;
  const caller = callerOf(detail);
  if (detail.errorCode) return { answer: 'ignore', reason: `${apiCall} failed (${detail.errorCode}): nothing changed` };
  if (detail.readOnly === true) return { answer: 'ignore', reason: `${apiCall} is read-only` };
  if (isOwnCall(detail, scope.ownRoleArns)) {
    return { answer: 'ignore', reason: `${apiCall} was made by driftless itself (${caller})` };
  }
  const invokedBy = detail.userIdentity?.invokedBy;
  if (invokedBy && AUTOSCALING_CALLERS.has(invokedBy)) {
    return { answer: 'ignore', reason: `${apiCall} was made by ${invokedBy}, which owns desiredCount` };
  }
  const found = targetsOf(detail);
  if ('skip' in found) return { answer: 'ignore', reason: `${apiCall}: ${found.skip}` };
  const base = { changedBy: caller, apiCall, eventId: detail.eventID, eventTime: detail.eventTime };
  if (found.targets === ALL_STACKS) return { answer: 'reconcile', resources: [ALL_STACKS], ...base };
  const targets = found.targets;
  const allowed = new Set(scope.allowedClusters.map(clusterNameOf));
  const inScope = targets.filter((id) =>
    id.startsWith('EcsService:')
      ? allowed.has(id.slice('EcsService:'.length).split('/')[0] ?? '')
      : id.slice('CloudFormationStack:'.length).startsWith(scope.stackNamePrefix),
  );
  if (inScope.length === 0) {
    return {
      answer: 'ignore',
      reason: `${apiCall} changed ${targets.join(', ')}, outside what this installation manages`,
    };
  }
  return { answer: 'reconcile', resources: inScope, ...base };
}

/** The identity behind a call: for an assumed role, the role's ARN (what an allowlist names); else the caller's ARN. */
export function callerOf(detail: CloudTrailDetail): string {
  const identity = detail.userIdentity;
  return (
    identity?.sessionContext?.sessionIssuer?.arn ||
    identity?.arn ||
    identity?.invokedBy ||
    identity?.principalId ||
    'unknown'
  );
}

/** Whether the caller is one of driftless's own roles: by the session issuer's ARN, or by the role name an
 * assumed-role ARN (arn:aws:sts::<account>:assumed-role/<name>/<session>) carries. */
export function isOwnCall(detail: CloudTrailDetail, ownRoleArns: readonly string[]): boolean {
  const identity = detail.userIdentity;
  const issuer = identity?.sessionContext?.sessionIssuer?.arn;
  if (issuer && ownRoleArns.includes(issuer)) return true;
  const assumed = /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(identity?.arn ?? '');
  if (!assumed) return false;
  return ownRoleArns.some((arn) => {
    const role = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
    return role !== null && role[1] === assumed[1] && role[2] === assumed[2];
  });
}

function clusterNameOf(cluster: string): string {
  return cluster.includes('/') ? (cluster.split('/').at(-1) ?? cluster) : cluster;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `arn:…:ecs:<region>:<account>:service/<cluster>/<name>` → the resource id; the old format has no cluster. */
function serviceIdFromArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:ecs:[^:]*:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(arn);
  return match ? `EcsService:${match[1]}/${match[2]}` : undefined;
}

function stackNameFrom(value: string): string {
  const arn = /^arn:[^:]+:cloudformation:[^:]*:\d{12}:stack\/([^/]+)(\/.*)?$/.exec(value);
  return arn?.[1] ?? value;
}

/** The resources a call changed, ALL_STACKS when it names no stack, or why it concerns no managed resource. */
function targetsOf(detail: CloudTrailDetail): { targets: string[] | typeof ALL_STACKS } | { skip: string } {
  const request = detail.requestParameters ?? {};
  const response = detail.responseElements ?? {};
  if (detail.eventSource === 'ecs.amazonaws.com') {
    if (!(ECS_MANUAL_CHANGE_CALLS as readonly string[]).includes(detail.eventName)) {
      return { skip: 'not a call that changes a service' };
    }
    if (detail.eventName === 'TagResource' || detail.eventName === 'UntagResource') {
      const arn = text(request.resourceArn) ?? '';
      const id = serviceIdFromArn(arn);
      return id ? { targets: [id] } : { skip: `${arn || '(no resource)'} is not a service` };
    }
    const responseService = (response.service ?? {}) as Record<string, unknown>;
    const named = text(request.service) ?? text(request.serviceName);
    if (named?.startsWith('arn:')) {
      const id = serviceIdFromArn(named);
      if (id) return { targets: [id] };
    }
    const fromResponse = text(responseService.serviceArn);
    if (fromResponse) {
      const id = serviceIdFromArn(fromResponse);
      if (id) return { targets: [id] };
    }
    if (!named) return { skip: 'the call names no service' };
    const cluster = clusterNameOf(text(request.cluster) ?? 'default');
    return { targets: [`EcsService:${cluster}/${named}`] };
  }
  if (detail.eventSource === 'cloudformation.amazonaws.com') {
    if (!(STACK_MANUAL_CHANGE_CALLS as readonly string[]).includes(detail.eventName)) {
      return { skip: 'not a call that changes a stack' };
    }
    const stack = text(request.stackName);
    if (stack) return { targets: [`CloudFormationStack:${stackNameFrom(stack)}`] };
    if (detail.eventName === 'ExecuteChangeSet') return { targets: ALL_STACKS };
    return { skip: 'the call names no stack' };
  }
  return { skip: `${detail.eventSource} is not ECS or CloudFormation` };
}

/**
 * Coalesces a burst: a run that started after a change was made reads the resource after it, so it answers that
 * change too. Remembers, per resource, when the last run for it started; an event made at least `marginMs` before
 * that needs no run of its own. CloudTrail times have whole seconds, hence the margin. Kept by a warm function.
 */
export class ManualChangeCoalescer {
  private readonly startedAt = new Map<string, number>();

  constructor(
    private readonly marginMs = 1_000,
    private readonly limit = 10_000,
  ) {}

  /** True when every resource has been reconciled by a run that started after `eventTime` (+ the margin). */
  covered(resources: readonly string[], eventTime: string): boolean {
    const made = Date.parse(eventTime);
    if (Number.isNaN(made) || resources.length === 0) return false;
    return resources.every((id) => {
      const started = this.startedAt.get(id);
      return started !== undefined && made + this.marginMs <= started;
    });
  }

  /** Records that a run reconciling `resources` started at `time` (milliseconds). */
  started(resources: readonly string[], time: number): void {
    for (const id of resources) {
      this.startedAt.delete(id);
      this.startedAt.set(id, time);
      if (this.startedAt.size > this.limit) {
        const oldest = this.startedAt.keys().next();
        if (!oldest.done) this.startedAt.delete(oldest.value);
      }
    }
  }
}
