/** Resource health in the vocabulary Argo CD users know (Healthy, Progressing, Degraded, Missing, Unknown), from
 * ECS deployments and CloudFormation stack status. Pure. */

export const HEALTH_ORDER = ['Healthy', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type Health = (typeof HEALTH_ORDER)[number];

/** True when `a` is worse than `b`, so a run can report its worst resource. */
export function isWorse(a: Health, b: Health): boolean {
  return HEALTH_ORDER.indexOf(a) > HEALTH_ORDER.indexOf(b);
}

function asRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

/** Health of an ECS service from DescribeServices: its status and its PRIMARY deployment's rollout. */
export function serviceHealth(service: Record<string, unknown> | undefined): Health {
  if (!service) return 'Missing';
  if (service.status === 'INACTIVE') return 'Missing';
  if (service.status === 'DRAINING') return 'Progressing';
  const deployments = asRecords(service.deployments);
  const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
  if (!primary) return 'Unknown';
  if (primary.rolloutState === 'FAILED') return 'Degraded';
  if (primary.rolloutState === 'IN_PROGRESS' || deployments.length > 1) return 'Progressing';
  const desired = Number(service.desiredCount ?? 0);
  const running = Number(service.runningCount ?? 0);
  return running >= desired ? 'Healthy' : 'Progressing';
}

/** True while CloudFormation is working on the stack: a stack in this state is waited for, never updated. */
export function isStackBusy(status: string): boolean {
  return status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';
}

/** Health of a CloudFormation stack from its StackStatus. */
export function stackHealth(status: string | undefined): Health {
  if (status === undefined || status === 'DELETE_COMPLETE' || status === 'REVIEW_IN_PROGRESS') return 'Missing';
  if (isStackBusy(status)) return 'Progressing';
  if (['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].includes(status)) return 'Healthy';
  if (status.endsWith('_FAILED') || status.endsWith('ROLLBACK_COMPLETE')) return 'Degraded';
  return 'Unknown';
}
