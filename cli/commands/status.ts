/** `driftless status`: per resource, whether it is in sync, its health, the last commit applied to it, each service's
 * current rollout (strategy, stage, production traffic, since when), and the break-glass pauses active now (who, until
 * when, why). It plans exactly as `driftless plan` does (the one planning
 * path, stack references resolved), so the two never disagree. */

import type { ActivePause } from '../../shared/audit/pauses.ts';
import { DriftlessError } from '../../shared/errors.ts';
import { type Rollout, RolloutReader } from '../../shared/live/rollouts.ts';
import type { Action } from '../../shared/plan/plan.ts';
import { liveReadersOf, loadConfined, planAgainstLive } from '../../shared/reconcile/plan-run.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import type { Diagnostic } from '../../shared/spec/diagnostics.ts';
import { mapWithConcurrency } from '../../shared/util.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients, ledgerFor, repositoryIdentity } from '../context.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';
import { formatSnapshot } from './validate.ts';

export interface StatusOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly ledgerTable: string;
  readonly json: boolean;
  /** The repository name the installation records (default: the folder name). */
  readonly repository?: string;
}

export interface ResourceStatus {
  readonly id: string;
  /** `error`: a declaration whose `${stack:…}` reference does not resolve against live state; it is not planned. */
  readonly sync: 'in sync' | 'out of sync' | 'missing' | 'waiting' | 'replace required' | 'error';
  readonly health: string;
  readonly lastApplied?: { readonly commitId: string; readonly time: string };
  /** An active break-glass pause on the resource. */
  readonly paused?: { readonly until: string; readonly by: string; readonly reason: string };
  /** Why a resource is `error`: its diagnostics as `file:line:column CODE message`. */
  readonly errors?: readonly string[];
  /** A service's newest rollout (ECS service deployment), finished or not. */
  readonly rollout?: RolloutStatus;
  /** Why the rollout could not be read (a missing permission, say); the rest of the status stands. */
  readonly rolloutError?: string;
}

export type RolloutStatus = Pick<
  Rollout,
  | 'arn'
  | 'strategy'
  | 'status'
  | 'result'
  | 'stage'
  | 'productionTrafficPercent'
  | 'since'
  | 'finishedAt'
  | 'rollback'
  | 'alarms'
  | 'circuitBreaker'
>;

/** Services whose rollouts are read at once: the reader's token bucket sets the pace, this caps the sockets. */
const ROLLOUT_READ_CONCURRENCY = 4;

const SYNC_OF: Partial<Record<Action['type'], ResourceStatus['sync']>> = {
  'in-sync': 'in sync',
  create: 'missing',
  wait: 'waiting',
  'replace-required': 'replace required',
};

export async function statusCommand(options: StatusOptions, io: CliIo, clients: AwsClients = {}): Promise<number> {
  const aws = awsClients(options, clients);
  const ledger = ledgerFor(options.ledgerTable, aws.dynamoDb, clients);
  let statuses: ResourceStatus[];
  let pauses: ActivePause[];
  let referenceErrors: readonly Diagnostic[];
  try {
    const identity = await repositoryIdentity(options.repo, options.ref);
    pauses = await ledger.activePauses(
      options.repository ?? identity.repository,
      identity.branch,
      (clients.now ?? Date.now)(),
    );
    const snapshot = await loadConfined(new LocalGitSource({ repoDir: options.repo }), {
      ref: options.ref,
      prefix: options.path,
    });
    if (snapshot.pruneBlocked) {
      // As for plan: nothing reaches AWS from a repository with errors.
      if (options.json) {
        io.out(`${JSON.stringify({ valid: false, diagnostics: snapshot.diagnostics }, null, 2)}\n`);
      } else {
        io.out(formatSnapshot(snapshot, { ...options, json: false }, io));
        io.out('No status: fix the errors above first (run driftless validate to check again).\n');
      }
      return EXIT_INVALID;
    }
    const planned = await planAgainstLive(snapshot, liveReadersOf(aws));
    referenceErrors = planned.diagnostics;
    const byResource = new Map<string, ResourceStatus>();
    for (const action of planned.plan.actions) {
      const previous = byResource.get(action.id);
      const sync = SYNC_OF[action.type] ?? 'out of sync';
      if (!previous || previous.sync === 'in sync')
        byResource.set(action.id, { id: action.id, sync, health: action.health });
    }
    // A service whose reference did not resolve is left out of the plan: it is shown, with why, never dropped.
    for (const declaration of snapshot.declarations) {
      if (byResource.has(declaration.id)) continue;
      const at = new Set(
        (declaration.kind === 'EcsService' ? (declaration.references ?? []) : []).map(
          ({ location }) => `${location.file}:${location.line}:${location.column}`,
        ),
      );
      const errors = referenceErrors.filter((d) => at.has(`${d.file}:${d.line}:${d.column}`));
      byResource.set(declaration.id, {
        id: declaration.id,
        sync: 'error',
        health: 'Unknown',
        errors: errors.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`),
      });
    }
    const rollouts = await readRollouts([...byResource.values()], new RolloutReader({ client: aws.ecs }));
    statuses = await Promise.all(
      [...byResource.values()].map(async (status) => {
        const history = await ledger.resourceHistory(status.id, { limit: 50 });
        const applied = history.find((entry) => entry.kind === 'outcome' && entry.result === 'succeeded');
        const pause = pauses.find((candidate) => candidate.resourceId === status.id);
        return {
          ...status,
          ...(applied ? { lastApplied: { commitId: applied.commitId, time: applied.time } } : {}),
          ...(pause ? { paused: { until: pause.until, by: pause.by, reason: pause.reason } } : {}),
          ...rollouts.get(status.id),
        };
      }),
    );
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    io.err(`${paint(io, 'red', 'error:')} ${awsSetupProblem(error) ?? error.message}\n`);
    return EXIT_INVALID;
  }
  const exitCode = referenceErrors.length > 0 ? EXIT_INVALID : EXIT_OK;
  if (options.json) {
    io.out(`${JSON.stringify(statuses, null, 2)}\n`);
    return exitCode;
  }
  const rows = statuses.map((s) => [
    s.id,
    s.sync,
    s.health,
    s.lastApplied ? `${s.lastApplied.commitId.slice(0, 8)} at ${utc(s.lastApplied.time)}` : 'never',
    s.id.startsWith('EcsService:') ? rolloutCell(s) : '',
  ]);
  const header = ['RESOURCE', 'SYNC', 'HEALTH', 'LAST APPLIED', 'ROLLOUT'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  io.out(`${[paint(io, 'bold', format(header)), ...rows.map(format)].join('\n')}\n`);
  const unreadable = statuses.filter((status) => status.rolloutError);
  if (unreadable.length > 0) {
    io.out(`\n${paint(io, 'bold', 'Rollouts not read')}:\n`);
    for (const status of unreadable) io.out(`  ${status.id}: ${status.rolloutError}\n`);
  }
  if (pauses.length > 0) {
    io.out(`\n${paint(io, 'bold', 'Active pauses')} (drift recorded, not reverted; pushes planned, not applied):\n`);
    for (const pause of pauses) {
      io.out(`  ${pause.resourceId} until ${pause.until} by ${pause.by}: ${pause.reason}\n`);
    }
  }
  if (referenceErrors.length > 0) {
    io.out('\n');
    for (const d of referenceErrors) {
      io.out(`${paint(io, 'red', 'error')} ${d.file}:${d.line}:${d.column} ${d.code} ${d.message}\n`);
    }
  }
  return exitCode;
}

/** Each live service's newest rollout; a service whose rollouts cannot be read gets the reason instead. */
async function readRollouts(
  statuses: readonly ResourceStatus[],
  reader: RolloutReader,
): Promise<Map<string, Pick<ResourceStatus, 'rollout' | 'rolloutError'>>> {
  const services = statuses.filter(
    (status) => status.id.startsWith('EcsService:') && status.sync !== 'missing' && status.sync !== 'error',
  );
  const read = await mapWithConcurrency(services, ROLLOUT_READ_CONCURRENCY, async (status) => {
    const [cluster = '', name = ''] = status.id.slice('EcsService:'.length).split('/');
    try {
      const rollout = await reader.current(cluster, name);
      return rollout ? { rollout: rolloutStatus(rollout) } : {};
    } catch (error) {
      return { rolloutError: error instanceof Error ? error.message : String(error) };
    }
  });
  return new Map(services.map((status, index) => [status.id, read[index] ?? {}]));
}

function rolloutStatus(rollout: Rollout): RolloutStatus {
  const { arn, strategy, status, result, stage, productionTrafficPercent, since, finishedAt } = rollout;
  return {
    arn,
    strategy,
    status,
    result,
    ...(stage ? { stage } : {}),
    ...(productionTrafficPercent === undefined ? {} : { productionTrafficPercent }),
    ...(since ? { since } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(rollout.rollback ? { rollback: rollout.rollback } : {}),
    ...(rollout.alarms ? { alarms: rollout.alarms } : {}),
    ...(rollout.circuitBreaker ? { circuitBreaker: rollout.circuitBreaker } : {}),
  };
}

/** In progress: strategy, stage, traffic, since when. Finished: strategy, status and when, compactly. */
export function rolloutCell(status: Pick<ResourceStatus, 'rollout' | 'rolloutError'>): string {
  const rollout = status.rollout;
  if (!rollout) return status.rolloutError ? 'unknown' : '-';
  if (rollout.result !== 'in-progress') {
    return `${rollout.strategy} ${rollout.status}${rollout.finishedAt ? ` ${utc(rollout.finishedAt).slice(0, 16)} UTC` : ''}`;
  }
  const stage = rollout.stage ? ` ${rollout.stage}` : '';
  const traffic = rollout.productionTrafficPercent === undefined ? '' : ` ${rollout.productionTrafficPercent}%`;
  const since = rollout.since ? ` since ${utc(rollout.since)}` : '';
  return `${rollout.strategy} ${rollout.status}${stage}${traffic}${since}`;
}

function utc(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 19)} UTC`;
}
