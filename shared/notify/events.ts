/**
 * What driftless announces on EventBridge, and how: events with source `driftless` on the installation's bus, one
 * detail type per kind of news, so a rule (Slack, SNS, a pager) subscribes to exactly what it cares about.
 *
 * Detail types:
 * - `Reconcile Succeeded`: a run changed something and every change succeeded (a run that found nothing to do is not
 *   news, so a duplicate push event announces nothing).
 * - `Reconcile Failed`: a run failed, partly failed, refused a broken repository, or stopped on an error.
 * - `Reconcile Held`: a run left Git changes in place on purpose (a pause, a commit the circuit breaker rolled back,
 *   a stack still changing): `held` names each resource and why. Drift a sweep holds is announced by
 *   `Drift Detected` instead, not twice.
 * - `Drift Detected`: a sweep found live resources that differ from Git; `policies` says per resource what was done
 *   (revert, alert, adopt, or paused) and `adopted` names the pull requests drift adoption opened.
 * - `Drift Reverted`: the sweep put them back (absent when self-heal is off: the drift is held and only detected).
 *   For a manual change (trigger `manual-change`) both name who made it and with which call: changedBy, apiCall,
 *   cloudTrailEventId.
 * - `Rollout Failed`: a deployment driftless started failed or was rolled back (ECS circuit breaker, CloudFormation).
 * - `Prune Refused`: a resource no longer declared was not deleted, and why.
 *
 * Every detail names the resources, the commit, the run and the ledger entries behind it, so a notification links
 * straight to `driftless audit`. Publishing is best effort: a notification that cannot be sent is logged and never
 * fails the run it reports on (the ledger is the record; events are news).
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ResourceOutcome } from '../apply/executor.ts';
import type { EntryResult, LedgerEntry, Trigger } from '../audit/ledger.ts';
import type { Action } from '../plan/plan.ts';
import type { ReconcileResult } from '../reconcile/types.ts';

export const EVENT_SOURCE = 'driftless';

export const DETAIL_TYPES = {
  reconcileSucceeded: 'Reconcile Succeeded',
  reconcileFailed: 'Reconcile Failed',
  reconcileHeld: 'Reconcile Held',
  driftDetected: 'Drift Detected',
  driftReverted: 'Drift Reverted',
  rolloutFailed: 'Rollout Failed',
  pruneRefused: 'Prune Refused',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** One event to publish: its detail type, its JSON detail, and the ARNs it concerns (EventBridge `resources`). */
export interface DriftlessEvent {
  readonly detailType: DetailType;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly resources?: readonly string[];
}

/** PutEvents takes at most 10 entries per call. */
export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents takes at most 256 KB per call, counted as EventBridge counts it (see entrySize). */
export const MAX_BYTES_PER_PUT = 256 * 1024;
/** Lists in a detail are cut here (the count says how many there were), so one event stays well under the limit. */
export const MAX_LISTED = 200;

// ------------------------------------------------------------------------------------------------ building events

/** Who ran, on what: the part of every reconcile event's detail that names the run. */
export interface RunIdentity {
  readonly repository: string;
  readonly branch: string;
  readonly trigger: Trigger;
  /** A manual-change run: who made the change outside Git, with which call (named in the drift events). */
  readonly manualChange?: { readonly changedBy: string; readonly apiCall: string; readonly eventId: string };
}

/** The run entry and the outcome entries a run recorded for one resource, by the ledger's own ids. */
function entryIdsFor(entries: readonly LedgerEntry[], resourceIds: readonly string[]): string[] {
  const wanted = new Set(resourceIds);
  return entries
    .filter((entry) => entry.kind === 'outcome' && entry.resourceId !== undefined && wanted.has(entry.resourceId))
    .map((entry) => entry.entryId);
}

function runEntryId(entries: readonly LedgerEntry[], runId: string): string | undefined {
  return entries.findLast((entry) => entry.kind === 'run' && entry.runId === runId)?.entryId;
}

/** A list cut to MAX_LISTED, with the full count beside it when it was cut. */
function listed(name: string, values: readonly string[]): Record<string, unknown> {
  return values.length > MAX_LISTED
    ? { [name]: values.slice(0, MAX_LISTED), [`${name}Count`]: values.length, [`${name}Truncated`]: true }
    : { [name]: [...values] };
}

function outcomesOf(result: ReconcileResult): Map<string, ResourceOutcome> {
  return new Map((result.apply?.resources ?? []).map((resource) => [resource.id, resource.outcome]));
}

/** Resources a sweep found changed in place: the plan updates them (or registers a new task definition for them).
 * Missing resources (creates) are not drift: they were never applied, or were deleted, and a run creates them. */
export function driftedResources(result: ReconcileResult): string[] {
  // A Git change not applied yet (origin pending) is not drift, even when a sweep applies it.
  const drifting = (action: Action) =>
    (action.type === 'update' || action.type === 'register-task-definition') && action.origin !== 'pending';
  return [...new Set((result.plan?.actions ?? []).filter(drifting).map((action) => action.id))];
}

/**
 * The events one reconcile run produces, from its result and the ledger entries it recorded (captured by a
 * RecordingLedger). Drift events only come from sweeps (`schedule`, `manual-change`): a push applies a commit.
 */
export function reconcileEvents(
  run: RunIdentity,
  result: ReconcileResult,
  entries: readonly LedgerEntry[],
): DriftlessEvent[] {
  const events: DriftlessEvent[] = [];
  const outcomes = outcomesOf(result);
  const runEntry = runEntryId(entries, result.runId);
  const base = {
    repository: run.repository,
    branch: run.branch,
    trigger: run.trigger,
    runId: result.runId,
    ...(result.commitId ? { commitId: result.commitId } : {}),
    status: result.status,
    ...(runEntry ? { runEntryId: runEntry } : {}),
    ...(run.manualChange
      ? {
          changedBy: run.manualChange.changedBy,
          apiCall: run.manualChange.apiCall,
          cloudTrailEventId: run.manualChange.eventId,
        }
      : {}),
  };
  const withOutcome = (outcome: ResourceOutcome) =>
    [...outcomes.entries()].filter(([, value]) => value === outcome).map(([id]) => id);

  if (run.trigger === 'schedule' || run.trigger === 'manual-change') {
    const drifted = driftedResources(result);
    if (drifted.length > 0) {
      const held = new Set(result.driftHeld ?? []);
      events.push({
        detailType: DETAIL_TYPES.driftDetected,
        detail: {
          ...base,
          ...listed('resourceIds', drifted),
          ...listed('heldResourceIds', [...held]),
          selfHeal: held.size === 0,
          // The drift policy each drifted resource was handled under: revert, alert, adopt, or paused.
          policies: Object.fromEntries(
            drifted.slice(0, MAX_LISTED).map((id) => [id, result.driftPolicies?.[id] ?? 'revert']),
          ),
          ...((result.driftAdopted ?? []).length > 0
            ? {
                adopted: (result.driftAdopted ?? []).slice(0, MAX_LISTED).map((adopted) => ({
                  resourceId: adopted.resourceId,
                  branch: adopted.branch,
                  status: adopted.status,
                  ...(adopted.pullRequestId ? { pullRequestId: adopted.pullRequestId } : {}),
                })),
              }
            : {}),
          ...listed('entryIds', entryIdsFor(entries, drifted)),
        },
      });
      const reverted = drifted.filter((id) => outcomes.get(id) === 'applied');
      if (reverted.length > 0) {
        events.push({
          detailType: DETAIL_TYPES.driftReverted,
          detail: {
            ...base,
            ...listed('resourceIds', reverted),
            ...listed('entryIds', entryIdsFor(entries, reverted)),
          },
        });
      }
    }
  }

  const refusedPrunes = entries.filter(
    (entry) => entry.kind === 'outcome' && entry.action === 'Prune' && entry.result === 'refused',
  );
  if (refusedPrunes.length > 0) {
    events.push({
      detailType: DETAIL_TYPES.pruneRefused,
      detail: {
        ...base,
        ...listed('resourceIds', [...new Set(refusedPrunes.map((entry) => entry.resourceId ?? ''))]),
        refusals: refusedPrunes
          .slice(0, MAX_LISTED)
          .map((entry) => ({ resourceId: entry.resourceId, reason: entry.reason, entryId: entry.entryId })),
        ...listed(
          'entryIds',
          refusedPrunes.map((entry) => entry.entryId),
        ),
      },
    });
  }

  const driftAnnounced = new Set(
    events.some((event) => event.detailType === DETAIL_TYPES.driftDetected) ? driftedResources(result) : [],
  );
  const held = (result.held ?? []).filter((change) => !driftAnnounced.has(change.resourceId));
  if (held.length > 0 && result.status !== 'dry-run') {
    const ids = held.map((change) => change.resourceId);
    events.push({
      detailType: DETAIL_TYPES.reconcileHeld,
      detail: {
        ...base,
        ...listed('resourceIds', ids),
        held: held.slice(0, MAX_LISTED).map((change) => ({ resourceId: change.resourceId, reason: change.reason })),
        ...listed('entryIds', entryIdsFor(entries, ids)),
      },
    });
  }

  if (result.status === 'applied') {
    const applied = withOutcome('applied');
    events.push({
      detailType: DETAIL_TYPES.reconcileSucceeded,
      detail: { ...base, ...listed('resourceIds', applied), ...listed('entryIds', entryIdsFor(entries, applied)) },
    });
  } else if (result.status === 'failed' || result.status === 'partial') {
    const failed = withOutcome('failed');
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    events.push({
      detailType: DETAIL_TYPES.reconcileFailed,
      detail: {
        ...base,
        ...listed('resourceIds', failed),
        ...listed('refusedResourceIds', withOutcome('refused')),
        ...listed('appliedResourceIds', withOutcome('applied')),
        ...(result.reason ? { reason: result.reason } : {}),
        ...(errors.length > 0
          ? {
              diagnostics: errors
                .slice(0, MAX_LISTED)
                .map((d) => ({ file: d.file, line: d.line, code: d.code, message: d.message })),
            }
          : {}),
        ...listed('entryIds', entryIdsFor(entries, failed)),
      },
    });
  }
  return events;
}

/** A run that stopped on an error instead of finishing: `Reconcile Failed` with the error, and whether the function
 * hands the event back for a retry. */
export function reconcileErrorEvent(
  run: RunIdentity,
  error: { readonly name: string; readonly message: string; readonly retryable: boolean },
  entries: readonly LedgerEntry[],
  commitId?: string,
): DriftlessEvent {
  const runEntry = entries.findLast((entry) => entry.kind === 'run');
  return {
    detailType: DETAIL_TYPES.reconcileFailed,
    detail: {
      repository: run.repository,
      branch: run.branch,
      trigger: run.trigger,
      ...(runEntry ? { runId: runEntry.runId, runEntryId: runEntry.entryId } : {}),
      ...(commitId ? { commitId } : {}),
      // The word the run entry and the CLI use for a run that stopped on an error; `error` says which.
      status: 'failed',
      error: { name: error.name, message: error.message, retryable: error.retryable },
      resourceIds: [],
      entryIds: entries.map((entry) => entry.entryId).slice(0, MAX_LISTED),
    },
  };
}

/** A deployment driftless started ended badly: what, where, from which commit, and the entry that records it. */
export function rolloutFailedEvent(input: {
  readonly entry: LedgerEntry;
  readonly result: Extract<EntryResult, 'failed' | 'rolled-back'>;
  readonly resourceArn?: string;
  /** What the rollback write-back did: the pull request (or, for a local repository, the branch) it opened. */
  readonly rollbackProposal?: {
    readonly status: string;
    readonly branch?: string;
    readonly pullRequestId?: string;
    readonly reason?: string;
  };
}): DriftlessEvent {
  const { entry } = input;
  return {
    detailType: DETAIL_TYPES.rolloutFailed,
    detail: {
      repository: entry.repository,
      branch: entry.branch,
      trigger: entry.trigger,
      runId: entry.runId,
      commitId: entry.commitId,
      result: input.result,
      resourceIds: entry.resourceId ? [entry.resourceId] : [],
      ...(entry.references?.deploymentId ? { deploymentId: entry.references.deploymentId } : {}),
      ...(entry.references?.stackId ? { stackId: entry.references.stackId } : {}),
      ...(entry.reason ? { reason: entry.reason } : {}),
      ...(input.rollbackProposal ? { rollbackProposal: input.rollbackProposal } : {}),
      entryIds: [entry.entryId],
    },
    ...(input.resourceArn ? { resources: [input.resourceArn] } : {}),
  };
}

// ------------------------------------------------------------------------------------------------ publishing

/** What the publisher needs of a logger. */
export interface NotifyLogger {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface EventPublisherOptions {
  readonly client: EventBridgeClient;
  /** Bus name or ARN; `default` is the account's default bus. */
  readonly eventBusName: string;
  readonly logger?: NotifyLogger;
  /** How many more times entries EventBridge reports as failed are sent again (default 2). */
  readonly retries?: number;
}

export interface PublishReport {
  /** PutEvents calls made. */
  readonly calls: number;
  readonly published: number;
  /** Entries still failed after the retries, or in a call that threw: logged, never thrown. */
  readonly failed: number;
}

/** The size EventBridge counts for an entry: Time (14 bytes), Source, DetailType, Detail and each Resources ARN,
 * as UTF-8. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (value: string | undefined) => (value === undefined ? 0 : Buffer.byteLength(value, 'utf8'));
  return (
    14 +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, arn) => sum + bytes(arn), 0)
  );
}

/** Splits entries into PutEvents calls of at most MAX_ENTRIES_PER_PUT entries and MAX_BYTES_PER_PUT bytes, in order. */
export function batchEntries(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const batches: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = entrySize(entry);
    if (current.length > 0 && (current.length >= MAX_ENTRIES_PER_PUT || size + bytes > MAX_BYTES_PER_PUT)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Publishes driftless events on one bus, batched, retrying the entries EventBridge reports as failed. Never throws. */
export class EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;
  private readonly logger: NotifyLogger | undefined;
  private readonly retries: number;

  constructor(options: EventPublisherOptions) {
    this.client = options.client;
    this.eventBusName = options.eventBusName;
    this.logger = options.logger;
    this.retries = options.retries ?? 2;
  }

  async publish(events: readonly DriftlessEvent[]): Promise<PublishReport> {
    const entries = events.map((event) => this.toEntry(event));
    let calls = 0;
    let published = 0;
    let failed = 0;
    for (const batch of batchEntries(entries)) {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        calls += 1;
        let retry: PutEventsRequestEntry[];
        try {
          const output = await this.client.send(new PutEventsCommand({ Entries: pending }));
          // Result entries are in request order; a failed one carries an ErrorCode instead of an EventId.
          retry = pending.filter((_, index) => output.Entries?.[index]?.ErrorCode !== undefined);
          published += pending.length - retry.length;
          if (retry.length > 0 && attempt >= this.retries) {
            this.logger?.warn('notifications not published', {
              eventBusName: this.eventBusName,
              detailTypes: retry.map((entry) => entry.DetailType),
              errors: (output.Entries ?? []).flatMap((result) =>
                result.ErrorCode ? [`${result.ErrorCode}: ${result.ErrorMessage ?? ''}`] : [],
              ),
            });
          }
        } catch (error) {
          // The SDK has retried throttling and 5xx already: what is left is logged, and the run's own result stands.
          this.logger?.warn('notifications not published', {
            eventBusName: this.eventBusName,
            detailTypes: pending.map((entry) => entry.DetailType),
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          failed += pending.length;
          break;
        }
        if (retry.length > 0 && attempt >= this.retries) {
          failed += retry.length;
          break;
        }
        pending = retry;
      }
    }
    return { calls, published, failed };
  }

  private toEntry(event: DriftlessEvent): PutEventsRequestEntry {
    return {
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      EventBusName: this.eventBusName,
      ...(event.resources && event.resources.length > 0 ? { Resources: [...event.resources] } : {}),
    };
  }
}
