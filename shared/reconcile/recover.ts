/** Every intent gets exactly one outcome (ARCHITECTURE invariants 6 and 11): a run's ledger entries are fenced by its
 * lease, and before it plans, a run resolves from live state the intents that a dead or fenced run left without an
 * outcome, recording what it observes as a recovered outcome. */
import { fencedLedger, isFenceable } from '../audit/fence.ts';
import { newEntryId } from '../audit/ids.ts';
import { IN_FLIGHT_MS, RECOVERY_WINDOW_MS } from '../audit/intents.ts';
import { type LedgerEntry, RECOVERED_REASON_PREFIX } from '../audit/ledger.ts';
import type { LiveResource } from '../plan/live-state.ts';
import type { LeasedRun, RunStart } from './context.ts';
import { type ObservedOutcome, observedOutcome } from './observed-outcome.ts';
import { liveReadersOf } from './plan-run.ts';
import type { RunLease } from './types.ts';

/** The run as it holds its lease: its ledger fenced by the lease, and the lease checked before each write that no
 * fenced intent guards. */
export function underLease(run: RunStart, lease: RunLease): LeasedRun {
  const fencedIntents = lease.fence !== undefined && isFenceable(run.deps.ledger);
  return {
    ...run,
    deps: { ...run.deps, ledger: fencedLedger(run.deps.ledger, lease.fence) },
    guard: () => lease.assertHeld(),
    fencedIntents,
  };
}

/**
 * Appends one recovered outcome for each intent of the run's repository and branch made between RECOVERY_WINDOW_MS
 * and IN_FLIGHT_MS ago that no outcome answers. The run holds the branch's lease, so such an intent's run is dead or
 * fenced: it can add no outcome of its own. Costs one Query of the intents index when there is nothing to recover.
 */
export async function recoverUnpairedIntents(run: LeasedRun): Promise<LedgerEntry[]> {
  const { request, deps } = run;
  // A dry run changes nothing, the ledger's story included. A shard runs under a lease of its own beside the other
  // shards: only a run under the branch's lease recovers, so no two runs ever recover the same intent.
  if (request.dryRun || request.shard) return [];
  const now = run.clock();
  const intents = (
    await deps.ledger.unpairedIntents(request.repository, request.branch, {
      since: new Date(now - RECOVERY_WINDOW_MS).toISOString(),
      until: new Date(now - IN_FLIGHT_MS).toISOString(),
    })
  ).filter((intent) => intent.resourceId !== undefined);
  if (intents.length === 0) return [];
  const live = await readLive(run, intents);
  const recovered: LedgerEntry[] = [];
  for (const intent of intents) {
    const entry = recoveredOutcome(run, intent, observedOutcome(intent, live.get(intent.resourceId ?? '')));
    await deps.ledger.append(entry);
    recovered.push(entry);
  }
  return recovered;
}

/** The resources the intents name, read through the live readers (absent ones are simply not in the map). */
async function readLive(run: LeasedRun, intents: readonly LedgerEntry[]): Promise<Map<string, LiveResource>> {
  const readers = run.deps.readers ?? liveReadersOf(run.deps);
  const services: { cluster: string; name: string }[] = [];
  const stacks: string[] = [];
  for (const id of new Set(intents.map((intent) => intent.resourceId ?? ''))) {
    const separator = id.indexOf(':');
    const [kind, name] = [id.slice(0, separator), id.slice(separator + 1)];
    if (kind === 'CloudFormationStack') stacks.push(name);
    else if (kind === 'EcsService' && name.includes('/')) {
      services.push({ cluster: name.slice(0, name.indexOf('/')), name: name.slice(name.indexOf('/') + 1) });
    }
  }
  const [ecs, cloudFormation] = await Promise.all([
    readers.ecs.readServices(services),
    readers.cloudFormation.readStacks(stacks),
  ]);
  return new Map<string, LiveResource>([...ecs.resources, ...cloudFormation.resources]);
}

/** The outcome entry answering `intent`: in the intent's own words (its run, commit, resource and action), so the
 * commit's and the resource's histories read as if its run had recorded it, marked recovered and saying by whom. */
function recoveredOutcome(run: LeasedRun, intent: LedgerEntry, observed: ObservedOutcome): LedgerEntry {
  const time = run.now();
  const minutes = Math.round((Date.parse(time) - Date.parse(intent.time)) / 60_000);
  const fields = [
    'runId',
    'trigger',
    'repository',
    'branch',
    'commitId',
    'commitAuthor',
    'commitCommitter',
    'pushedBy',
    'changedBy',
    'apiCall',
    'actionId',
    'resourceId',
    'action',
  ] as const;
  const context: Record<string, unknown> = {};
  for (const field of fields) if (intent[field] !== undefined) context[field] = intent[field];
  return {
    ...(context as Pick<LedgerEntry, (typeof fields)[number]>),
    dryRun: false,
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    result: observed.result,
    reason: `${RECOVERED_REASON_PREFIX} ${observed.evidence} (read by run ${run.runId}, ${minutes} min after the intent)`,
    recovered: true,
  };
}
