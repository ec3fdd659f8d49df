/** `driftless reconcile`: one run from a laptop or a CI job — plan, apply, and record every write in the ledger; with
 * --wait, then follow the rollouts it started until they finish. */

import { ensureLedgerTable } from '../../shared/audit/dynamodb.ts';
import { DriftlessError } from '../../shared/errors.ts';
import { RolloutReader } from '../../shared/live/rollouts.ts';
import { ensureLockTable } from '../../shared/lock/lease.ts';
import { renderPlan } from '../../shared/plan/render.ts';
import { reconcile } from '../../shared/reconcile/run.ts';
import type { ReconcileResult, ReconcileStatus } from '../../shared/reconcile/types.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients, ledgerFor, lockFor, repositoryIdentity } from '../context.ts';
import { deploymentHome, deploymentTypes } from '../identity.ts';
import { type CliIo, EXIT_CHANGES, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';
import { type FollowResult, followRollouts, followSummary, startedRollouts } from './follow.ts';

/** reconcile --wait: a rollout the run started rolled back, failed, or was superseded. */
export const EXIT_ROLLOUT_FAILED = 3;
/** reconcile --wait: the time limit passed before every rollout finished. */
export const EXIT_ROLLOUT_TIMEOUT = 4;

export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 10_000;

export interface ReconcileOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly ledgerTable: string;
  readonly lockTable: string;
  readonly installation: string;
  readonly trigger?: 'manual' | 'schedule' | 'push';
  readonly dryRun: boolean;
  readonly allowEmpty: boolean;
  /** The deployment's resource type patterns (--allowed-resource-types). */
  readonly allowedResourceTypes?: readonly string[];
  readonly json: boolean;
  /** Create the ledger and lock tables when missing (for an emulator; in AWS the CDK stack owns them). */
  readonly createTables?: boolean;
  /** After the apply, follow the rollouts the run started until they finish. */
  readonly wait?: boolean;
  /** How long --wait waits, in milliseconds. */
  readonly timeout?: number;
  /** How often --wait reads the rollouts, in milliseconds. */
  readonly pollInterval?: number;
}

export async function reconcileCommand(
  options: ReconcileOptions,
  io: CliIo,
  clients: AwsClients = {},
): Promise<number> {
  const aws = awsClients(options, clients);
  const { repository, branch } = await repositoryIdentity(options.repo, options.ref);
  let result: ReconcileResult;
  try {
    if (options.createTables) {
      await ensureLedgerTable(aws.dynamoDb, options.ledgerTable);
      await ensureLockTable(aws.dynamoDb, options.lockTable);
    }
    result = await reconcile(
      {
        repository,
        branch,
        prefix: options.path,
        trigger: options.trigger ?? 'manual',
        installationId: options.installation,
        dryRun: options.dryRun,
        allowEmpty: options.allowEmpty,
        limits: { ...(await deploymentHome(options, clients, aws.ecs)), ...deploymentTypes(options) },
      },
      {
        source: new LocalGitSource({ repoDir: options.repo }),
        ecs: aws.ecs,
        cloudFormation: aws.cloudFormation,
        ledger: ledgerFor(options.ledgerTable, aws.dynamoDb, clients),
        lock: lockFor(options.lockTable, aws.dynamoDb),
      },
    );
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    if (options.json) {
      io.out(
        `${JSON.stringify({ status: 'failed', error: { name: error.name, message: error.message, retryable: error.retryable } }, null, 2)}\n`,
      );
    } else {
      io.err(
        `${paint(io, 'red', 'error:')} reconcile failed: ${awsSetupProblem(error) ?? `${error.name}: ${error.message}`}\n`,
      );
    }
    return EXIT_INVALID;
  }
  if (!options.wait) {
    io.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatReconcile(result, io));
    return exitCodeOf(result.status);
  }
  if (!options.json) io.out(formatReconcile(result, io));
  const followed = startedRollouts(result.apply?.resources ?? []);
  const unrecorded = (result.apply?.resources ?? []).filter(
    (resource) =>
      resource.kind === 'EcsService' && resource.outcome === 'applied' && !resource.references?.serviceDeploymentArn,
  );
  if (unrecorded.length > 0 && !options.json) {
    io.out(`\nNot followed (no rollout recorded): ${unrecorded.map((resource) => resource.id).join(', ')}\n`);
  }
  let waited: FollowResult | undefined;
  if (followed.length > 0) {
    if (!options.json) io.out(`\nFollowing ${followed.length} rollout${followed.length === 1 ? '' : 's'}:\n`);
    const now = clients.now ?? Date.now;
    const sleep =
      clients.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
    waited = await followRollouts(followed, new RolloutReader({ client: aws.ecs, now, sleep }), io, {
      timeoutMs: options.timeout ?? DEFAULT_WAIT_TIMEOUT_MS,
      pollIntervalMs: options.pollInterval ?? DEFAULT_POLL_INTERVAL_MS,
      now,
      sleep,
      quiet: options.json,
    });
    if (!options.json) io.out(`\n${followSummary(waited, io)}`);
  } else if (!options.json) {
    io.out('\nNo rollout to follow: the run recorded none.\n');
  }
  if (options.json) {
    const rollouts = waited ? { wait: waited.outcome, rollouts: waited.rollouts } : { wait: 'none', rollouts: [] };
    io.out(`${JSON.stringify({ ...result, ...rollouts }, null, 2)}\n`);
  }
  if (waited?.outcome === 'failed') return EXIT_ROLLOUT_FAILED;
  if (waited?.outcome === 'timeout') return EXIT_ROLLOUT_TIMEOUT;
  return exitCodeOf(result.status);
}

/** 0: done (applied, in sync, a dry run, or left to the run holding the lock); 2: changes remain that the run held
 * on purpose (the reason says why); 1: something failed, was refused, or a declaration has errors. */
export function exitCodeOf(status: ReconcileStatus): number {
  switch (status) {
    case 'applied':
    case 'in-sync':
    case 'dry-run':
    case 'skipped':
      return EXIT_OK;
    case 'held':
      return EXIT_CHANGES;
    case 'partial':
    case 'failed':
      return EXIT_INVALID;
  }
}

const OUTCOME_SYMBOL: Record<string, string> = {
  applied: '✓',
  'in-sync': '=',
  'dry-run': '○',
  waiting: '…',
  skipped: '↷',
  refused: '✗',
  failed: '✗',
};

export function formatReconcile(result: ReconcileResult, io: CliIo): string {
  const lines: string[] = [];
  const commit = result.commitId ? ` at ${result.commitId.slice(0, 12)}` : '';
  lines.push(`Run ${result.runId}${commit}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) {
    lines.push(`  ${paint(io, 'red', 'error')} ${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
  }
  if (result.plan) {
    lines.push('', renderPlan(result.plan, { paint: (style, text) => paint(io, style, text) }).trimEnd());
  }
  if (result.afterStacks) {
    lines.push(
      '',
      'Once the stacks they reference were stable, planned again with their outputs:',
      renderPlan(result.afterStacks, { paint: (style, text) => paint(io, style, text) }).trimEnd(),
    );
  }
  if (result.apply && result.apply.resources.length > 0) {
    lines.push('');
    for (const resource of result.apply.resources) {
      if (resource.outcome === 'in-sync' && !resource.reason) continue;
      const style =
        resource.outcome === 'failed' || resource.outcome === 'refused'
          ? 'red'
          : resource.outcome === 'applied'
            ? 'green'
            : 'dim';
      const refs = resource.references
        ? Object.values(resource.references)
            .filter(Boolean)
            .map((ref) => String(ref).split('/').at(-1))
            .join(', ')
        : '';
      const detail = resource.error ? `${resource.error.name}: ${resource.error.message}` : (resource.reason ?? refs);
      lines.push(
        `${paint(io, style, OUTCOME_SYMBOL[resource.outcome] ?? '?')} ${resource.id}: ${resource.outcome}${detail ? ` — ${detail}` : ''}`,
      );
    }
  }
  lines.push('', `Result: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
  return `${lines.join('\n')}\n`;
}
