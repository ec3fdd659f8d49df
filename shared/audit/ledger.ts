/** The audit ledger port: what every run records, append-only, and the questions it must answer by query. */
import type { FieldChange } from '../plan/diff.ts';

/** Every ledger entry that records a rollback's write-back to Git starts its reason so (shared/writeback/rollback.ts). It is a
 * `skipped` outcome, not a failure (the rollback itself is the `rolled-back` entry before it), and like it, it keeps
 * the executor from applying the rolled-back commit again (shared/apply/executor.ts, rolledBackReason). */
export const WRITE_BACK_REASON_PREFIX = 'rollback write-back:';

/** Every outcome a run records from live state for another run's unpaired intent starts its reason so. */
export const RECOVERED_REASON_PREFIX = 'recovered:';

export type Trigger = 'push' | 'schedule' | 'pull-request' | 'manual' | 'deployment-event' | 'manual-change';
/** `pause` and `resume` are break-glass entries (driftless pause/resume): no AWS write, a window on one resource. */
export type EntryKind = 'intent' | 'outcome' | 'run' | 'pause' | 'resume';
export type EntryResult = 'succeeded' | 'failed' | 'refused' | 'skipped' | 'dry-run' | 'rolled-back';

/** The AWS write an intent announces, in the API's own words. */
export type WriteAction =
  | 'RegisterTaskDefinition'
  | 'CreateService'
  | 'UpdateService'
  | 'DeleteService'
  | 'CreateChangeSet'
  | 'ExecuteChangeSet'
  | 'DeleteStack'
  | 'TagResource'
  | 'UntagResource'
  | 'DeleteChangeSet'
  | 'UpdateTerminationProtection'
  | 'Prune';

export interface AwsReferences {
  readonly taskDefinitionArn?: string;
  readonly serviceArn?: string;
  readonly deploymentId?: string;
  /** The ECS service deployment (the rollout) a CreateService or UpdateService started, as ListServiceDeployments
   * found it after the write. */
  readonly serviceDeploymentArn?: string;
  readonly changeSetArn?: string;
  readonly stackId?: string;
  /** A pull request driftless opened (adopt, rollback write-back). */
  readonly pullRequestId?: string;
  /** The CloudTrail event of the manual change a run reverted. */
  readonly cloudTrailEventId?: string;
}

/** Who and what a run is about; copied into every entry so each answers "who changed what, from which commit". */
export interface RunContext {
  readonly runId: string;
  readonly trigger: Trigger;
  readonly repository: string;
  readonly branch: string;
  readonly commitId: string;
  readonly commitAuthor?: string;
  readonly commitCommitter?: string;
  readonly commitMessage?: string;
  /** The identity that pushed, when the triggering event carries it. */
  readonly pushedBy?: string;
  /** Manual-change runs: the identity (IAM ARN) that made the change outside Git, from CloudTrail. */
  readonly changedBy?: string;
  /** Manual-change runs: the API call that made it, as `<service>:<EventName>` (e.g. ecs:UpdateService). */
  readonly apiCall?: string;
  readonly dryRun: boolean;
}

export interface LedgerEntry extends Omit<RunContext, 'commitMessage'> {
  /** Unique and time-sortable; part of the key, so an entry can never be overwritten. */
  readonly entryId: string;
  readonly kind: EntryKind;
  /** ISO-8601 time the entry was made. */
  readonly time: string;
  /** Links an intent to its outcome. */
  readonly actionId?: string;
  /** EcsService:<cluster>/<name> or CloudFormationStack:<name>; absent on run items. */
  readonly resourceId?: string;
  readonly action?: WriteAction;
  /** Changed fields as JSON pointers; secret-looking values already masked by the planner. */
  readonly changes?: readonly FieldChange[];
  readonly result?: EntryResult;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly references?: AwsReferences;
  readonly durationMs?: number;
  /** Run items: what the run did, counted. */
  readonly summary?: Readonly<Record<string, number>>;
  /** Free-form reason (a refused prune's guards, a skipped run's cause). */
  readonly reason?: string;
  /** Pause entries: when the pause ends by itself (ISO-8601). */
  readonly until?: string;
  /** Outcome entries a later run recorded from live state for an intent its own run left without an outcome
   * (shared/reconcile/recover.ts); their reason starts with RECOVERED_REASON_PREFIX. */
  readonly recovered?: boolean;
}

export interface TimeWindow {
  /** ISO-8601, inclusive. */
  readonly since: string;
  /** ISO-8601, exclusive; defaults to now. */
  readonly until?: string;
}

/**
 * Append-only: `append` writes a new entry or fails; nothing is ever updated or deleted. A failed append throws
 * LedgerWriteError, and the caller must not make the AWS write the entry was meant to announce.
 */
export interface AuditLedger {
  append(entry: LedgerEntry): Promise<void>;
  /** One resource's entries, newest first. */
  resourceHistory(resourceId: string, options?: { readonly limit?: number }): Promise<LedgerEntry[]>;
  /** Everything one commit did, oldest first. */
  commitHistory(commitId: string): Promise<LedgerEntry[]>;
  /** Everything in a time window, oldest first (one query per day partition). */
  window(window: TimeWindow): Promise<LedgerEntry[]>;
  /** Failures and refusals in a time window, oldest first. */
  failures(window: TimeWindow): Promise<LedgerEntry[]>;
  /** The break-glass pauses active at `now` (milliseconds) on one repository and branch: one Query, not one per
   * resource (see pauses.ts). */
  activePauses(repository: string, branch: string, now: number): Promise<ActivePause[]>;
  /** The intents of one repository and branch made in a window that no outcome answers yet, oldest first: one Query
   * of the branch's intents and outcomes, however many resources it has (see intents.ts). */
  unpairedIntents(repository: string, branch: string, window: TimeWindow): Promise<LedgerEntry[]>;
}

/** A break-glass pause in force (shared/audit/pauses.ts reads them from pause and resume entries). */
export interface ActivePause {
  readonly resourceId: string;
  /** ISO-8601: when the pause ends by itself. */
  readonly until: string;
  /** Who paused (the caller identity recorded in `changedBy`). */
  readonly by: string;
  readonly reason: string;
  /** When it was paused. */
  readonly since: string;
  readonly entryId: string;
}
