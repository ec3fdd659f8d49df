/** Pairing intents with outcomes: which entries the ledger's intents index holds, how long a write may still be in
 * flight after its intent, how far back runs look for unpaired intents, and which intents no outcome answers. Pure. */
import type { LedgerEntry } from './ledger.ts';

/** How far back a run looks for intents left without an outcome: one Query of the branch's intents index reads this
 * window. An intent older than this is never recovered by a run; `driftless audit --failed --since …` and the saved
 * query driftless/unpaired-intents still list it. */
export const RECOVERY_WINDOW_MS = 7 * 86_400_000;

/**
 * How long after its intent an AWS write may still land: the longest a driftless function lives (Lambda's 15-minute
 * ceiling; every function's timeout is at most this, test/infra checks it), since a process's calls end with it.
 * A run recovers only intents older than this, so it never judges a write that another, still living, run may yet
 * complete (a shard run under its own lease, or a run whose call outlived its lease).
 */
export const IN_FLIGHT_MS = 15 * 60_000;

/** The intents index partition of one repository and branch. */
export function intentPk(repository: string, branch: string): string {
  return `INTENT#${repository}#${branch}`;
}

/** Whether an entry belongs in the intents index: an intent that announces a real AWS write (a dry-run intent is its
 * own outcome), or an outcome that may answer one (a write's result: succeeded or failed). Refusals, skips and held
 * drift answer no intent and stay out, so the partition grows only with writes. */
export function pairsIntents(entry: LedgerEntry): boolean {
  if (entry.actionId === undefined) return false;
  if (entry.kind === 'intent') return entry.result === undefined;
  return entry.kind === 'outcome' && (entry.result === 'succeeded' || entry.result === 'failed');
}

/** What pairing needs of an entry: its kind and its action id. */
export type PairingFields = Pick<LedgerEntry, 'kind' | 'actionId' | 'result'>;

/** The intents among `entries` whose action id no outcome among them shares, in the order given. */
export function unpaired<T extends PairingFields>(entries: readonly T[]): T[] {
  const answered = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'outcome' && entry.actionId !== undefined) answered.add(entry.actionId);
  }
  return entries.filter(
    (entry) =>
      entry.kind === 'intent' &&
      entry.result === undefined &&
      entry.actionId !== undefined &&
      !answered.has(entry.actionId),
  );
}
