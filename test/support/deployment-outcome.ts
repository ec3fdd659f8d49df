/** The web service's UpdateService outcome, as the ledger holds it once a push has started a deployment: what the
 * deployment-outcome recorder tests match events and service deployments against. */
import type { AwsReferences, LedgerEntry } from '../../shared/audit/ledger.ts';

export const WEB = 'EcsService:prod/web';
export const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/web';
export const DEPLOYMENT = 'ecs-svc/1234567890123456789';

/** The outcome of the UpdateService a push made at `time` for `commitId`, which started the deployment. */
export function startedDeployment(commitId: string, time: string, references: AwsReferences = {}): LedgerEntry {
  return {
    entryId: `${time.replace(/[-:.]/g, '')}-00000000000000000001`,
    kind: 'outcome',
    time,
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId,
    dryRun: false,
    resourceId: WEB,
    action: 'UpdateService',
    result: 'succeeded',
    references: { deploymentId: DEPLOYMENT, serviceArn: SERVICE_ARN, ...references },
  };
}
