/** Scene 2b of the demo: a console change answered as the manual-change function answers it, from its CloudTrail
 * record, with a burst of the same record coalesced and driftless's own revert ignored. */
import type { ReconcileResult } from '../../shared/reconcile/types.ts';
import { type CloudTrailDetail, ManualChangeCoalescer, readManualChange } from '../../shared/triggers/manual-change.ts';

const ADMIN = 'arn:aws:iam::123456789012:role/Admin';
const OWN_ROLE = 'arn:aws:iam::123456789012:role/driftless-ManualChangeRole';

/** The CloudTrail record of `aws ecs update-service --cluster prod --service web --desired-count N`, made `at`. */
function updateServiceRecord(caller: string, at: string, index: number, desiredCount: number): CloudTrailDetail {
  return {
    eventID: `demo-${index}`,
    eventTime: at,
    eventSource: 'ecs.amazonaws.com',
    eventName: 'UpdateService',
    readOnly: false,
    userIdentity: {
      type: 'AssumedRole',
      arn: caller.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/').concat('/session'),
      sessionContext: { sessionIssuer: { arn: caller } },
    },
    requestParameters: { cluster: 'prod', service: 'web', desiredCount },
    responseElements: null,
  };
}

/**
 * A manual change answered as the manual-change function answers it (shared/triggers/manual-change.ts): the change is read
 * from its CloudTrail record, one targeted run reverts it, a burst of 50 more records made before that run is
 * coalesced, and driftless's own call is ignored. True when it went as narrated.
 */
export async function manualChangeScene(
  say: (text: string) => void,
  scaleBy: (desiredCount: number) => void,
  reconcileChange: (reading: {
    resources: readonly string[];
    changedBy: string;
    apiCall: string;
    eventId: string;
    eventTime: string;
  }) => Promise<ReconcileResult>,
): Promise<boolean> {
  const scope = { ownRoleArns: [OWN_ROLE], allowedClusters: ['prod'], stackNamePrefix: 'platform-' };
  const coalescer = new ManualChangeCoalescer();
  const changedAt = new Date(Date.now() - 5_000).toISOString();
  scaleBy(1);
  const reading = readManualChange(updateServiceRecord(ADMIN, changedAt, 0, 1), scope);
  if (reading.answer !== 'reconcile') return false;
  say(`  CloudTrail: ${reading.apiCall} on ${reading.resources.join(', ')} by ${reading.changedBy}`);
  const startedAt = Date.now();
  const result = await reconcileChange(reading);
  coalescer.started(reading.resources, startedAt);
  const burst = Array.from({ length: 50 }, (_, index) => updateServiceRecord(ADMIN, changedAt, index + 1, 1));
  const coalesced = burst.filter((record) => {
    const answer = readManualChange(record, scope);
    return answer.answer === 'reconcile' && coalescer.covered(answer.resources, answer.eventTime);
  }).length;
  say(`  a burst of 50 more records of that change: ${coalesced} coalesced into the run above, 0 more writes`);
  const own = readManualChange(updateServiceRecord(OWN_ROLE, new Date().toISOString(), 99, 3), scope);
  say(`  driftless's own revert, as CloudTrail reports it: ${own.answer === 'ignore' ? own.reason : 'answered (!)'}`);
  return result.status === 'applied' && coalesced === 50 && own.answer === 'ignore';
}
