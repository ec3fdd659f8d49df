/**
 * The saved CloudWatch Logs Insights queries (`driftless/*`), written against the one JSON line the ledger logs per
 * entry (shared/audit/log.ts): `{"level":"INFO","message":"ledger entry",…,"ledger":{…the entry's fields…}}`.
 * Logs Insights discovers JSON fields with dots for nesting and indexes for arrays (`ledger.changes.0.path`).
 * test/infra/queries.test.ts checks that every `ledger.…` field named here is one the line really carries.
 */
import { FAILURE_RESULTS } from '../shared/audit/dynamodb.ts';
import { LEDGER_LOG_MESSAGE } from '../shared/audit/log.ts';

const LEDGER_LINES = `filter message = "${LEDGER_LOG_MESSAGE}"`;
const FAILED = JSON.stringify([...FAILURE_RESULTS].sort()).replaceAll(',', ', ');
/** Results of the outcomes that answer an intent (shared/audit/intents.ts). */
const ANSWERS = '["failed", "succeeded"]';
/** Triggers of runs that revert drift: the sweep, and the immediate reconcile after a manual change. */
const DRIFT_TRIGGERS = '["schedule", "manual-change"]';

function query(...lines: string[]): string {
  return lines.join('\n');
}

export const LEDGER_QUERIES = {
  /** Every AWS write driftless announced or completed, newest first (dry runs left out). */
  'driftless/recent-changes': query(
    'fields @timestamp, ledger.kind, ledger.resourceId, ledger.action, ledger.result, ledger.changes.0.path, ' +
      'ledger.commitId, ledger.commitAuthor, ledger.trigger, ledger.durationMs',
    `| ${LEDGER_LINES} and ispresent(ledger.action)`,
    '| filter not ispresent(ledger.result) or ledger.result != "dry-run"',
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Failed writes, refused declarations or prunes, rolled-back rollouts and failed runs, with the error. */
  'driftless/failures': query(
    'fields @timestamp, ledger.kind, ledger.resourceId, ledger.action, ledger.result, ledger.errorCode, ' +
      'ledger.errorMessage, ledger.reason, ledger.commitId, ledger.trigger, ledger.runId',
    `| ${LEDGER_LINES} and ledger.result in ${FAILED}`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Writes the sweep made to put a hand-changed resource back the way Git declares it. */
  'driftless/drift-reverted': query(
    'fields @timestamp, ledger.resourceId, ledger.action, ledger.trigger, ledger.commitId, ' +
      'ledger.references.serviceArn, ledger.references.stackId, ledger.durationMs',
    `| ${LEDGER_LINES} and ledger.kind = "outcome" and ledger.result = "succeeded" and ispresent(ledger.action)`,
    `| filter ledger.trigger in ${DRIFT_TRIGGERS}`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Drift found while self-heal is off: recorded and announced, not reverted. */
  'driftless/drift-held': query(
    'fields @timestamp, ledger.resourceId, ledger.changes.0.path, ledger.changes.0.before, ledger.changes.0.after, ' +
      'ledger.reason, ledger.commitId',
    `| ${LEDGER_LINES} and ledger.kind = "outcome" and ledger.result = "skipped" and ledger.trigger in ${DRIFT_TRIGGERS}`,
    '| filter ledger.reason like /drift/',
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** One resource's history, newest first: set the id on the filter line. */
  'driftless/resource-history': query(
    '# Set the resource id below: EcsService:<cluster>/<service> or CloudFormationStack:<stack name>',
    'fields @timestamp, ledger.kind, ledger.action, ledger.result, ledger.changes.0.path, ledger.commitId, ' +
      'ledger.commitAuthor, ledger.trigger, ledger.errorMessage, ledger.reason, ledger.actionId',
    `| ${LEDGER_LINES} and ledger.resourceId = "EcsService:CLUSTER/SERVICE"`,
    '| sort @timestamp desc',
    '| limit 500',
  ),

  /** Who changed how much through Git: completed writes per commit author. */
  'driftless/changes-by-author': query(
    `${LEDGER_LINES} and ledger.kind = "outcome" and ledger.result = "succeeded" and ispresent(ledger.action)`,
    '| stats count(*) as changes, count_distinct(ledger.commitId) as commits, ' +
      'count_distinct(ledger.resourceId) as resources, max(@timestamp) as lastChange by ledger.commitAuthor',
    '| sort changes desc',
  ),

  /** Rollouts the ECS deployment circuit breaker or CloudFormation rolled back, with the commit that started them. */
  'driftless/rollouts-rolled-back': query(
    'fields @timestamp, ledger.resourceId, ledger.commitId, ledger.commitAuthor, ledger.references.deploymentId, ' +
      'ledger.references.serviceArn, ledger.references.stackId, ledger.reason, ledger.errorMessage',
    `| ${LEDGER_LINES} and ledger.result = "rolled-back"`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Changes made outside Git, by whom and with which call (CloudTrail), and what driftless did about each: reverted
   * (succeeded), held or adopted (skipped, with the reason), or failed. */
  'driftless/manual-changes': query(
    'fields @timestamp, ledger.changedBy, ledger.apiCall, ledger.resourceId, ledger.kind, ledger.action, ' +
      'ledger.result, ledger.reason, ledger.references.pullRequestId, ledger.runId',
    `| ${LEDGER_LINES} and ledger.trigger = "manual-change" and ledger.kind != "intent"`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Break-glass pauses and resumes: who, on which resource, until when, and why. */
  'driftless/pauses': query(
    'fields @timestamp, ledger.kind, ledger.resourceId, ledger.changedBy, ledger.until, ledger.reason',
    `| ${LEDGER_LINES} and ledger.kind in ["pause", "resume"]`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Intents no outcome answers yet: AWS writes announced whose result was never recorded (the run died, or its
   * ledger write failed). Intents are paired with outcomes by action id within the time range the query runs over;
   * the next run of the branch records each one's outcome from live state once it is older than 15 minutes. */
  'driftless/unpaired-intents': query(
    `${LEDGER_LINES} and ispresent(ledger.actionId)`,
    `| filter (ledger.kind = "intent" and not ispresent(ledger.result)) or (ledger.kind = "outcome" and ledger.result in ${ANSWERS})`,
    '| stats count(*) as entries, earliest(ledger.kind) as first, earliest(@timestamp) as announcedAt, ' +
      'earliest(ledger.runId) as runId, earliest(ledger.commitId) as commitId by ledger.actionId, ledger.resourceId, ' +
      'ledger.action',
    '| filter entries = 1 and first = "intent"',
    '| sort announcedAt desc',
    '| limit 200',
  ),

  /** Outcomes a later run recorded from live state for intents their own run left without one, and what it saw. */
  'driftless/recovered-outcomes': query(
    'fields @timestamp, ledger.resourceId, ledger.action, ledger.result, ledger.reason, ledger.commitId, ' +
      'ledger.runId, ledger.actionId',
    `| ${LEDGER_LINES} and ledger.kind = "outcome" and ispresent(ledger.recovered)`,
    '| sort @timestamp desc',
    '| limit 200',
  ),

  /** Runs: what started them, what they reconciled to, and what they did, counted. */
  'driftless/runs': query(
    'fields @timestamp, ledger.trigger, ledger.result, ledger.commitId, ledger.commitAuthor, ledger.pushedBy, ' +
      'ledger.summary.applied, ledger.summary.failed, ledger.summary.refused, ledger.reason, ledger.runId',
    `| ${LEDGER_LINES} and ledger.kind = "run"`,
    '| sort @timestamp desc',
    '| limit 200',
  ),
} as const satisfies Record<`driftless/${string}`, string>;

export type LedgerQueryName = keyof typeof LEDGER_QUERIES;

/** Every `ledger.<path>` a query names, e.g. `changes.0.path`, without duplicates. */
export function ledgerFieldsIn(queryString: string): string[] {
  return [...new Set([...queryString.matchAll(/\bledger\.([A-Za-z0-9_.]+)/g)].map((match) => match[1] as string))];
}
