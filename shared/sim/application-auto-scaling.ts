/** The Application Auto Scaling half of the simulator, for ECS services only: scalable targets registered, described
 * and deregistered as the API does it, so `driftless import` and the demo read autoscaled services without AWS. */
import type {
  DeregisterScalableTargetRequest,
  DeregisterScalableTargetResponse,
  DescribeScalableTargetsRequest,
  DescribeScalableTargetsResponse,
  RegisterScalableTargetRequest,
  RegisterScalableTargetResponse,
  ScalableTarget,
} from '@aws-sdk/client-application-auto-scaling';
import type { SimulatorContext } from './context.ts';
import { autoScalingErrors } from './errors.ts';
import { stableHex } from './ids.ts';
import { decodeToken, encodeToken } from './util.ts';

const ECS_DIMENSION = 'ecs:service:DesiredCount';
const ECS_RESOURCE_ID = /^service\/([^/]+)\/([^/]+)$/;
/** DescribeScalableTargets answers at most 50 targets a page and takes at most 50 resource ids. */
const MAX_PAGE = 50;

export class ScalableTargets {
  /** ResourceId → the target; the simulator models the one ECS dimension, so the id is the key. */
  private readonly targets = new Map<string, ScalableTarget>();

  constructor(
    private readonly context: SimulatorContext,
    /** Whether the ECS service exists and is ACTIVE: Application Auto Scaling refuses a target for anything else. */
    private readonly serviceExists: (cluster: string, name: string) => boolean,
  ) {}

  register(input: RegisterScalableTargetRequest): RegisterScalableTargetResponse {
    const resourceId = this.ecsTarget(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const [, cluster = '', name = ''] = ECS_RESOURCE_ID.exec(resourceId) ?? [];
    if (!this.serviceExists(cluster, name)) {
      throw autoScalingErrors.validation(`ECS service doesn't exist: ${resourceId}`);
    }
    const existing = this.targets.get(resourceId);
    const minCapacity = input.MinCapacity ?? existing?.MinCapacity;
    const maxCapacity = input.MaxCapacity ?? existing?.MaxCapacity;
    if (minCapacity === undefined || maxCapacity === undefined) {
      throw autoScalingErrors.validation('MinCapacity and MaxCapacity are required to register a new scalable target');
    }
    if (minCapacity < 0 || maxCapacity < minCapacity) {
      throw autoScalingErrors.validation('Maximum capacity cannot be less than minimum capacity');
    }
    const arn =
      existing?.ScalableTargetARN ??
      `arn:aws:application-autoscaling:${this.context.region}:${this.context.accountId}:scalable-target/${stableHex(32, this.context.accountId, resourceId)}`;
    this.targets.set(resourceId, {
      ServiceNamespace: 'ecs',
      ResourceId: resourceId,
      ScalableDimension: ECS_DIMENSION,
      MinCapacity: minCapacity,
      MaxCapacity: maxCapacity,
      RoleARN:
        input.RoleARN ??
        existing?.RoleARN ??
        `arn:aws:iam::${this.context.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
      CreationTime: existing?.CreationTime ?? this.context.date(),
      SuspendedState: {
        DynamicScalingInSuspended: input.SuspendedState?.DynamicScalingInSuspended ?? false,
        DynamicScalingOutSuspended: input.SuspendedState?.DynamicScalingOutSuspended ?? false,
        ScheduledScalingSuspended: input.SuspendedState?.ScheduledScalingSuspended ?? false,
      },
      ScalableTargetARN: arn,
    });
    return { ScalableTargetARN: arn };
  }

  describe(input: DescribeScalableTargetsRequest): DescribeScalableTargetsResponse {
    if (input.ServiceNamespace === undefined) throw autoScalingErrors.validation('ServiceNamespace is required');
    if ((input.ResourceIds?.length ?? 0) > MAX_PAGE) {
      throw autoScalingErrors.validation(`ResourceIds: at most ${MAX_PAGE} resource ids`);
    }
    const pageSize = input.MaxResults ?? MAX_PAGE;
    if (pageSize < 1 || pageSize > MAX_PAGE) throw autoScalingErrors.validation(`MaxResults: 1 to ${MAX_PAGE}`);
    const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    if (offset === undefined) throw autoScalingErrors.invalidNextToken();
    const wanted = input.ResourceIds && input.ResourceIds.length > 0 ? new Set(input.ResourceIds) : undefined;
    const matching = [...this.targets.values()]
      .filter((target) => target.ServiceNamespace === input.ServiceNamespace)
      .filter((target) => input.ScalableDimension === undefined || target.ScalableDimension === input.ScalableDimension)
      .filter((target) => wanted === undefined || wanted.has(target.ResourceId ?? ''))
      .sort((a, b) => (a.ResourceId ?? '').localeCompare(b.ResourceId ?? ''));
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? encodeToken(offset + pageSize) : undefined;
    return { ScalableTargets: page, ...(next ? { NextToken: next } : {}) };
  }

  deregister(input: DeregisterScalableTargetRequest): DeregisterScalableTargetResponse {
    const resourceId = this.ecsTarget(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    if (!this.targets.delete(resourceId)) {
      throw autoScalingErrors.objectNotFound(
        `No scalable target registered for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ${ECS_DIMENSION}`,
      );
    }
    return {};
  }

  private ecsTarget(namespace: string | undefined, resourceId: string | undefined, dimension: string | undefined) {
    if (namespace !== 'ecs') throw autoScalingErrors.validation('The simulator models the ecs service namespace only');
    if (dimension !== ECS_DIMENSION) {
      throw autoScalingErrors.validation(`Unsupported scalable dimension for ECS: ${dimension}`);
    }
    if (resourceId === undefined || !ECS_RESOURCE_ID.test(resourceId)) {
      throw autoScalingErrors.validation(
        `Unsupported resource ID for ECS: ${resourceId} (service/<cluster>/<service>)`,
      );
    }
    return resourceId;
  }
}
