/** A mocked Application Auto Scaling client (there is no local implementation) answering DescribeScalableTargets
 * with the targets a test registers, shaped as the API reference documents the answer. */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';

/** An Application Auto Scaling client that knows no scalable target unless a test registers one. */
export function autoScalingWithTargets(
  targets: { resourceId: string; minCapacity: number; maxCapacity: number }[] = [],
) {
  const client = new ApplicationAutoScalingClient({ region: 'us-east-1' });
  const stub = mockClient(client);
  stub.on(DescribeScalableTargetsCommand).callsFake((input: { ResourceIds?: string[] }) => ({
    // Shaped as the API reference documents DescribeScalableTargets' answer.
    ScalableTargets: targets
      .filter((target) => input.ResourceIds?.includes(target.resourceId))
      .map((target) => ({
        ServiceNamespace: 'ecs',
        ResourceId: target.resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: target.minCapacity,
        MaxCapacity: target.maxCapacity,
        RoleARN:
          'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
        CreationTime: new Date('2026-01-01T00:00:00Z'),
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
        },
      })),
  }));
  return { client, stub };
}
