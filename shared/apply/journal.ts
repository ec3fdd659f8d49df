/**
 * The ledger journal around each AWS write apply makes: an intent before, an outcome after, the retries, the pacing,
 * the guard and the stop.
 *
 * Every AWS write is announced in the audit ledger before it is made (an intent) and recorded after it (an outcome).
 * A succeeded outcome is stored while the resource's next write is made (after that write's intent), or when the
 * resource is done: a push's UpdateService waits for its own intent only. With a fenced ledger the intent is also
 * the lease check before a write's first attempt (the guard is called before retries).
 * When the ledger cannot record an intent the write is not made and the run stops; when the guard (the run lock)
 * throws, no further write is started, outcomes of the writes in flight are recorded, and the guard's error is
 * thrown. Throttling, 5xx and timeouts are retried here (with exponential backoff and full jitter), since the SDK's
 * own retries cannot be relied on beneath every client driftless is given; writes that may have taken effect before
 * a lost response are recognised on the retry rather than made twice.
 */
import { newActionId, newEntryId } from '../audit/ids.ts';
import type { AwsReferences, LedgerEntry, WriteAction } from '../audit/ledger.ts';
import { errorName, isRetryableAwsError } from '../aws/errors.ts';
import { ECS_CLIENT_RATES, TokenBucket } from '../aws/token-bucket.ts';
import { isLedgerFailure, LedgerWriteError } from '../errors.ts';
import type { FieldChange } from '../plan/diff.ts';
import type { Action } from '../plan/plan.ts';
import { APPLY_DEFAULTS, APPLY_WRITE_RATES, type ApplyInput, type ApplyOptions } from './contract.ts';
import type { Decision, LedgerEntryFields, ResourceState } from './resource.ts';

/** What a write that reverts drift says at the head of its reason; a Git change is what every other write is. */
const DRIFT_REVERT_NOTE = 'drift reverted to Git';

/** Writes the ledger has no WriteAction for are recorded under the nearest one, the API named in the reason. */
type AwsWrite = Exclude<WriteAction, 'Prune'>;

const LEDGER_ACTION: Record<AwsWrite, WriteAction> = {
  RegisterTaskDefinition: 'RegisterTaskDefinition',
  CreateService: 'CreateService',
  UpdateService: 'UpdateService',
  DeleteService: 'DeleteService',
  CreateChangeSet: 'CreateChangeSet',
  ExecuteChangeSet: 'ExecuteChangeSet',
  DeleteStack: 'DeleteStack',
  TagResource: 'TagResource',
  UntagResource: 'UntagResource',
  DeleteChangeSet: 'DeleteChangeSet',
  UpdateTerminationProtection: 'UpdateTerminationProtection',
};

export interface WriteSpec<T> {
  readonly api: AwsWrite;
  readonly changes: readonly FieldChange[];
  readonly bucket: TokenBucket;
  readonly send: () => Promise<T>;
  readonly references: (output: T) => AwsReferences;
  /** Free-form note for the ledger entries. */
  readonly reason?: string;
  /** After a retryable failure, an error on a later attempt may mean the earlier one took effect: the result then. */
  readonly recover?: (error: unknown) => Promise<{ readonly value: T } | undefined>;
  /** Before each retry: the result, when what the write was for turns out to exist already. */
  readonly beforeRetry?: () => Promise<{ readonly value: T } | undefined>;
  /** After the call succeeded: waits for what it started to settle; a throw records the write as failed. */
  readonly settle?: (output: T) => Promise<void>;
  /** What the succeeded outcome adds to the reason (a detail the write could not record, say). */
  readonly outcomeNote?: (output: T) => string | undefined;
}

export type Written<T> = { readonly dryRun: true } | { readonly dryRun: false; readonly output: T };

type EntryFields = LedgerEntryFields;

/** The resource is held back (ResourceState.heldBack): no write of it is made, and it is recorded as skipped. */
export class HeldBack extends Error {
  constructor(readonly reason: string) {
    super(`held back: ${reason}`);
  }
}

/** The run must stop: the guard threw or the ledger failed. `error` is what applyPlan rejects with. */
export class Stop extends Error {
  constructor(readonly error: unknown) {
    super('the apply run stopped');
  }
}

export class Journal {
  readonly dryRun: boolean;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly buckets: {
    readonly serviceWrites: TokenBucket;
    readonly registerTaskDefinition: TokenBucket;
    readonly cloudFormationWrites: TokenBucket;
    readonly describeServices: TokenBucket;
    readonly describeTaskDefinition: TokenBucket;
  };
  private readonly retries: Required<Pick<ApplyOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>>;
  private readonly random: () => number;
  private stoppedWith: { readonly error: unknown } | undefined;

  constructor(private readonly input: ApplyInput) {
    const options = input.options ?? {};
    this.dryRun = options.dryRun ?? input.run.dryRun;
    this.retries = {
      maxAttempts: Math.max(1, options.maxAttempts ?? APPLY_DEFAULTS.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? APPLY_DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? APPLY_DEFAULTS.maxDelayMs,
    };
    this.now = input.now ?? (() => Date.now());
    this.sleep = input.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
    this.random = input.random ?? Math.random;
    const clock = { now: this.now, sleep: this.sleep };
    const rates = input.rates ?? {};
    this.buckets = {
      serviceWrites: new TokenBucket({ ...(rates.serviceWrites ?? APPLY_WRITE_RATES.serviceWrites), ...clock }),
      registerTaskDefinition: new TokenBucket({
        ...(rates.registerTaskDefinition ?? APPLY_WRITE_RATES.registerTaskDefinition),
        ...clock,
      }),
      cloudFormationWrites: new TokenBucket({
        ...(rates.cloudFormationWrites ?? APPLY_WRITE_RATES.cloudFormationWrites),
        ...clock,
      }),
      describeServices: new TokenBucket({
        ...(input.readRates?.describeServices ?? ECS_CLIENT_RATES.describeServices),
        ...clock,
      }),
      describeTaskDefinition: new TokenBucket({
        ...(input.readRates?.describeTaskDefinition ?? ECS_CLIENT_RATES.describeTaskDefinition),
        ...clock,
      }),
    };
  }

  /** Whether the run must stop; once it has, no new write starts and applyPlan rejects with `stopError`. */
  get stopped(): boolean {
    return this.stoppedWith !== undefined;
  }

  get stopError(): unknown {
    return this.stoppedWith?.error;
  }

  /** One AWS write with its ledger entries: intent before, outcome after; on a dry run, an intent marked dry-run. */
  async write<T>(state: ResourceState, spec: WriteSpec<T>): Promise<Written<T>> {
    const heldBack = await state.heldBack;
    if (heldBack !== undefined) throw new HeldBack(heldBack);
    const action = LEDGER_ACTION[spec.api];
    const why = state.origin === 'drift' ? DRIFT_REVERT_NOTE : undefined;
    const what = spec.api === action ? spec.reason : [spec.api, spec.reason].filter(Boolean).join(': ');
    const note = [why, what].filter(Boolean).join('; ');
    const base = {
      actionId: newActionId(),
      resourceId: state.id,
      action,
      ...(note ? { reason: note } : {}),
    };
    const changes = spec.changes.length > 0 ? { changes: spec.changes } : {};
    if (this.dryRun) {
      this.throwIfStopped();
      await this.append({ kind: 'intent', ...base, ...changes, result: 'dry-run' });
      state.dryRunWrites += 1;
      return { dryRun: true };
    }

    await spec.bucket.take();
    this.throwIfStopped();
    // A fenced intent is stored only while the lease is the run's: the append below is then the guard's check.
    if (!this.input.fencedIntents) await this.callGuard();
    // What the write builds on (the revision an UpdateService sets, the change set an ExecuteChangeSet runs): a run
    // that recovers this intent after its run died judges it by them (shared/reconcile/recover.ts).
    const known = { ...state.references };
    await this.append({
      kind: 'intent',
      ...base,
      ...changes,
      ...(Object.keys(known).length > 0 ? { references: known } : {}),
    });
    const started = this.now();
    const making = this.attempts(spec);
    // The previous write's outcome is stored while this write is made: only this write's intent had to come first.
    const previousOutcome = this.flush(state);
    previousOutcome.catch(() => undefined);
    let references: AwsReferences | undefined;
    let output: T;
    try {
      output = await making;
      references = spec.references(output);
      state.references = { ...state.references, ...references };
      await spec.settle?.(output);
    } catch (thrown) {
      const error = thrown instanceof Stop ? thrown.error : thrown;
      // A failed previous outcome has stopped the run already; this write's failure is recorded all the same.
      await previousOutcome.catch(() => undefined);
      await this.append({
        kind: 'outcome',
        ...base,
        result: 'failed',
        errorCode: errorName(error) ?? 'Error',
        errorMessage: messageOf(error),
        ...(references && Object.keys(references).length > 0 ? { references } : {}),
        durationMs: this.now() - started,
      });
      throw thrown;
    }
    const outcomeReason = [base.reason, spec.outcomeNote?.(output)].filter(Boolean).join('; ');
    // Deferred: a next write of the resource stores it alongside (above), else Journal.flush when the resource is done.
    state.deferredOutcome = {
      kind: 'outcome',
      ...base,
      ...(outcomeReason ? { reason: outcomeReason } : {}),
      result: 'succeeded',
      ...(Object.keys(references).length > 0 ? { references } : {}),
      durationMs: this.now() - started,
    };
    await previousOutcome;
    return { dryRun: false, output };
  }

  /** Stores the resource's deferred outcome, if any (its time is when it is stored, so the ledger's order and its
   * times agree). Throws Stop, as every append, when the ledger fails. */
  async flush(state: ResourceState): Promise<void> {
    const outcome = state.deferredOutcome;
    if (outcome === undefined) return;
    state.deferredOutcome = undefined;
    await this.append(outcome);
  }

  /** A read, retried while the error is a passing one. */
  async read<T>(bucket: TokenBucket | undefined, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      await bucket?.take();
      try {
        return await send();
      } catch (error) {
        if (!isRetryableAwsError(error) || attempt >= this.retries.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  /** Records a refusal (not on dry runs) and returns it as the decision. */
  async refuse(
    resourceId: string,
    action: Action | undefined,
    ledgerAction: WriteAction | undefined,
    reason: string,
  ): Promise<Decision> {
    if (!this.dryRun) {
      await this.append({
        kind: 'outcome',
        actionId: newActionId(),
        resourceId,
        ...(ledgerAction === undefined ? {} : { action: ledgerAction }),
        ...(action && action.changes.length > 0 ? { changes: action.changes } : {}),
        result: 'refused',
        reason,
      });
    }
    return { outcome: 'refused', reason };
  }

  /** Records a skip (not on dry runs) and returns it as the decision. */
  async skip(resourceId: string, reason: string): Promise<Decision> {
    if (!this.dryRun) {
      await this.append({
        kind: 'outcome',
        actionId: newActionId(),
        resourceId,
        result: 'skipped',
        reason,
      });
    }
    return { outcome: 'skipped', reason };
  }

  /** The call, retried while the error is a passing one; every attempt takes a token and passes the guard. */
  private async attempts<T>(spec: WriteSpec<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > 1) {
        await this.sleep(this.backoff(attempt - 1));
        const found = await spec.beforeRetry?.();
        if (found) return found.value;
        await spec.bucket.take();
        this.throwIfStopped();
        await this.callGuard();
      }
      try {
        return await spec.send();
      } catch (error) {
        if (attempt > 1 && spec.recover) {
          const recovered = await spec.recover(error);
          if (recovered) return recovered.value;
        }
        if (!isRetryableAwsError(error) || attempt >= this.retries.maxAttempts) throw error;
      }
    }
  }

  /** Full jitter: random in [0, min(maxDelayMs, baseDelayMs * 2^(retry - 1))). */
  private backoff(retry: number): number {
    const ceiling = Math.min(this.retries.maxDelayMs, this.retries.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw new Stop(this.stopError);
  }

  private async callGuard(): Promise<void> {
    if (!this.input.guard) return;
    try {
      await this.input.guard();
    } catch (error) {
      throw this.stop(error);
    }
  }

  private stop(error: unknown): Stop {
    if (!this.stoppedWith) this.stoppedWith = { error };
    return new Stop(error);
  }

  private async append(fields: EntryFields): Promise<void> {
    try {
      await this.input.ledger.append(this.entry(fields));
    } catch (error) {
      const failure = isLedgerFailure(error)
        ? error
        : new LedgerWriteError(`the audit ledger could not record an entry: ${messageOf(error)}`, { cause: error });
      throw this.stop(failure);
    }
  }

  private entry(fields: EntryFields): LedgerEntry {
    const time = new Date(this.now()).toISOString();
    const { commitMessage: _commitMessage, ...context } = this.input.run;
    return { ...context, dryRun: this.dryRun, entryId: newEntryId(time), time, ...fields };
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
