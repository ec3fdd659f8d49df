/** The read APIs over simulated service deployments and revisions, as ECS answers them: ListServiceDeployments
 * (newest first, filters, pages) and the describes (at most 20 ARNs, MISSING failures for unknown ones). */
import type {
  Failure,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ServiceDeployment,
  ServiceDeploymentBrief,
  ServiceDeploymentStatus,
} from '@aws-sdk/client-ecs';
import { ecsErrors } from './errors.ts';
import { decodeToken, encodeToken } from './util.ts';

const MAX_ARNS = 20;

/** `deployments` oldest first, all of one account. */
export function listServiceDeployments(
  deployments: readonly ServiceDeployment[],
  input: ListServiceDeploymentsRequest,
  serviceArn: string,
): ListServiceDeploymentsResponse {
  const maxResults = input.maxResults ?? 20;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw ecsErrors.invalidParameter('maxResults must be between 1 and 100.');
  }
  const offset = input.nextToken === undefined ? 0 : decodeToken(input.nextToken);
  if (offset === undefined) throw ecsErrors.invalidParameter('Invalid nextToken.');
  const before = input.createdAt?.before?.getTime();
  const after = input.createdAt?.after?.getTime();
  const statuses = input.status?.length ? new Set(input.status) : undefined;
  const matching = deployments
    .filter((deployment) => {
      const created = deployment.createdAt?.getTime() ?? 0;
      return (
        deployment.serviceArn === serviceArn &&
        (statuses === undefined || statuses.has(deployment.status as ServiceDeploymentStatus)) &&
        (before === undefined || created < before) &&
        (after === undefined || created > after)
      );
    })
    .reverse();
  const page = matching.slice(offset, offset + maxResults).map(brief);
  const next = offset + maxResults;
  return { serviceDeployments: page, ...(next < matching.length ? { nextToken: encodeToken(next) } : {}) };
}

/** What `find` knows of each ARN asked for, and a MISSING failure for each it does not. */
export function describeByArn<T>(
  arns: string[] | undefined,
  field: string,
  find: (arn: string) => T | undefined,
): { found: T[]; failures: Failure[] } {
  if (!arns?.length) throw ecsErrors.invalidParameter(`${field} cannot be empty.`);
  if (arns.length > MAX_ARNS) throw ecsErrors.invalidParameter(`${field} can have at most ${MAX_ARNS} items.`);
  const found: T[] = [];
  const failures: Failure[] = [];
  for (const arn of arns) {
    const item = find(arn);
    if (item === undefined) failures.push({ arn, reason: 'MISSING' });
    else found.push(item);
  }
  return { found, failures };
}

function brief(deployment: ServiceDeployment): ServiceDeploymentBrief {
  return {
    serviceDeploymentArn: deployment.serviceDeploymentArn,
    serviceArn: deployment.serviceArn,
    clusterArn: deployment.clusterArn,
    createdAt: deployment.createdAt,
    ...(deployment.startedAt ? { startedAt: deployment.startedAt } : {}),
    ...(deployment.finishedAt ? { finishedAt: deployment.finishedAt } : {}),
    targetServiceRevisionArn: deployment.targetServiceRevision?.arn,
    status: deployment.status,
    ...(deployment.statusReason ? { statusReason: deployment.statusReason } : {}),
  };
}
