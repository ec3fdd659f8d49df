/** Break-glass pauses (`driftless pause` / `resume`): ledger entries of kind `pause` and `resume` that open and close a
 * window on one resource. While a pause is active, drift on the resource is recorded but neither reverted nor adopted,
 * and pushes to it are planned but not applied. A pause ends by itself at `until`: expiry is a matter of time, so
 * nothing has to be written when it ends. Pure: the ledger answers the entries, this decides what is active. */
import type { ActivePause, LedgerEntry } from './ledger.ts';

export type { ActivePause } from './ledger.ts';

/** The longest a pause may last: active pauses are then found among the entries of the last seven days only. */
export const MAX_PAUSE_MS = 7 * 86_400_000;
/** What `apiCall` says on pause and resume entries. */
export const PAUSE_API_CALL = 'driftless:pause';
export const RESUME_API_CALL = 'driftless:resume';

/** The pauses active at `now`, from the pause and resume entries of one repository and branch (any order): per
 * resource the newest entry wins, and a pause is active while `until` is after now. Sorted by resource id. */
export function activePausesFrom(entries: readonly LedgerEntry[], now: number): ActivePause[] {
  const newest = new Map<string, LedgerEntry>();
  const key = (entry: LedgerEntry) => `${new Date(Date.parse(entry.time)).toISOString()}#${entry.entryId}`;
  for (const entry of entries) {
    if ((entry.kind !== 'pause' && entry.kind !== 'resume') || entry.resourceId === undefined) continue;
    const current = newest.get(entry.resourceId);
    if (!current || key(entry) > key(current)) newest.set(entry.resourceId, entry);
  }
  const active: ActivePause[] = [];
  for (const [resourceId, entry] of newest) {
    if (entry.kind !== 'pause' || entry.until === undefined) continue;
    const until = Date.parse(entry.until);
    if (Number.isNaN(until) || until <= now) continue;
    active.push({
      resourceId,
      until: new Date(until).toISOString(),
      by: entry.changedBy ?? 'unknown',
      reason: entry.reason ?? '',
      since: entry.time,
      entryId: entry.entryId,
    });
  }
  return active.sort((a, b) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
}

/** How a pause reads in a ledger reason, a CLI line or a comment. */
export function describePause(pause: ActivePause): string {
  return `paused until ${pause.until} by ${pause.by}: ${pause.reason}`;
}

/** `30m`, `2h`, `1d`, `90s` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(match[1]) * unit);
  return ms > 0 ? ms : undefined;
}

/** A `pause` or `resume` ledger entry: the caller in `changedBy`, the call in `apiCall`, the window's end in `until`.
 * `commitId` is the head the caller checked the resource against (it must be declared there). */
export function breakGlassEntry(input: {
  readonly kind: 'pause' | 'resume';
  readonly entryId: string;
  readonly repository: string;
  readonly branch: string;
  readonly commitId: string;
  readonly resourceId: string;
  readonly by: string;
  readonly reason: string;
  /** Milliseconds. */
  readonly now: number;
  /** Pause only: milliseconds, at most MAX_PAUSE_MS. */
  readonly durationMs?: number;
}): LedgerEntry {
  const time = new Date(input.now).toISOString();
  const pause = input.kind === 'pause';
  if (pause && (input.durationMs === undefined || input.durationMs <= 0 || input.durationMs > MAX_PAUSE_MS)) {
    throw new RangeError(`a pause lasts more than nothing and at most 7 days (asked: ${input.durationMs} ms)`);
  }
  return {
    entryId: input.entryId,
    kind: input.kind,
    time,
    runId: `${input.kind}-${input.entryId}`,
    trigger: 'manual',
    repository: input.repository,
    branch: input.branch,
    commitId: input.commitId,
    dryRun: false,
    resourceId: input.resourceId,
    changedBy: input.by,
    apiCall: pause ? PAUSE_API_CALL : RESUME_API_CALL,
    reason: input.reason,
    ...(pause ? { until: new Date(input.now + (input.durationMs ?? 0)).toISOString() } : {}),
  };
}
