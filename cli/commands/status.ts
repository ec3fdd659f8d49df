/** `driftless status`: per resource, whether it is in sync, its health, the last commit applied to it, and the
 * break-glass pauses active now (who, until when, why). */

import type { ActivePause } from '../../shared/audit/pauses.ts';
import { DriftlessError } from '../../shared/errors.ts';
import { CloudFormationLiveReader } from '../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../shared/live/ecs.ts';
import { readLiveState } from '../../shared/live/read.ts';
import { buildPlan } from '../../shared/plan/plan.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository } from '../../shared/spec/repository.ts';
import { type AwsClients, awsClients, ledgerFor, repositoryIdentity } from '../context.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

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
  readonly sync: 'in sync' | 'out of sync' | 'missing' | 'waiting' | 'replace required';
  readonly health: string;
  readonly lastApplied?: { readonly commitId: string; readonly time: string };
  /** An active break-glass pause on the resource. */
  readonly paused?: { readonly until: string; readonly by: string; readonly reason: string };
}

export async function statusCommand(options: StatusOptions, io: CliIo, clients: AwsClients = {}): Promise<number> {
  const aws = awsClients(options, clients);
  const ledger = ledgerFor(options.ledgerTable, aws.dynamoDb, clients);
  let statuses: ResourceStatus[];
  let pauses: ActivePause[];
  try {
    const identity = await repositoryIdentity(options.repo, options.ref);
    pauses = await ledger.activePauses(
      options.repository ?? identity.repository,
      identity.branch,
      (clients.now ?? Date.now)(),
    );
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: options.repo }), {
      ref: options.ref,
      prefix: options.path,
    });
    const live = await readLiveState(snapshot, {
      ecs: new EcsLiveReader({ client: aws.ecs }),
      cloudFormation: new CloudFormationLiveReader({ client: aws.cloudFormation }),
    });
    const plan = buildPlan({ snapshot, live: live.live });
    const byResource = new Map<string, ResourceStatus>();
    for (const action of plan.actions) {
      const previous = byResource.get(action.id);
      const sync =
        action.type === 'in-sync'
          ? 'in sync'
          : action.type === 'create'
            ? 'missing'
            : action.type === 'wait'
              ? 'waiting'
              : action.type === 'replace-required'
                ? 'replace required'
                : 'out of sync';
      if (!previous || previous.sync === 'in sync')
        byResource.set(action.id, { id: action.id, sync, health: action.health });
    }
    statuses = await Promise.all(
      [...byResource.values()].map(async (status) => {
        const history = await ledger.resourceHistory(status.id, { limit: 50 });
        const applied = history.find((entry) => entry.kind === 'outcome' && entry.result === 'succeeded');
        const pause = pauses.find((candidate) => candidate.resourceId === status.id);
        return {
          ...status,
          ...(applied ? { lastApplied: { commitId: applied.commitId, time: applied.time } } : {}),
          ...(pause ? { paused: { until: pause.until, by: pause.by, reason: pause.reason } } : {}),
        };
      }),
    );
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    io.err(`${paint(io, 'red', 'error:')} ${error.message}\n`);
    return EXIT_INVALID;
  }
  if (options.json) {
    io.out(`${JSON.stringify(statuses, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows = statuses.map((s) => [
    s.id,
    s.sync,
    s.health,
    s.lastApplied
      ? `${s.lastApplied.commitId.slice(0, 8)} at ${s.lastApplied.time.replace('T', ' ').slice(0, 19)} UTC`
      : 'never',
  ]);
  const header = ['RESOURCE', 'SYNC', 'HEALTH', 'LAST APPLIED'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  io.out(`${[paint(io, 'bold', format(header)), ...rows.map(format)].join('\n')}\n`);
  if (pauses.length > 0) {
    io.out(`\n${paint(io, 'bold', 'Active pauses')} (drift recorded, not reverted; pushes planned, not applied):\n`);
    for (const pause of pauses) {
      io.out(`  ${pause.resourceId} until ${pause.until} by ${pause.by}: ${pause.reason}\n`);
    }
  }
  return EXIT_OK;
}
