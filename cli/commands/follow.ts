/** `reconcile --wait`: follows the rollouts a run started until each finishes or the time is up, with a redrawn
 * progress display on a terminal (stderr) and one line per change otherwise (stdout). */
import type { ResourceResult } from '../../shared/apply/contract.ts';
import { describeRollout, type Rollout, type RolloutReader } from '../../shared/live/rollouts.ts';
import { type CliIo, paint } from '../output.ts';

export interface FollowedService {
  /** EcsService:<cluster>/<name>. */
  readonly id: string;
  readonly arn: string;
}

export interface FollowOptions {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** Print nothing while following (--json keeps stdout for data). */
  readonly quiet?: boolean;
}

export type FollowOutcome = 'succeeded' | 'failed' | 'timeout';

export interface FollowedRollout {
  readonly id: string;
  readonly arn: string;
  /** Undefined when ECS never answered for it. */
  readonly rollout?: Rollout;
}

export interface FollowResult {
  /** `failed`: a rollout rolled back, failed or was superseded; `timeout`: one had not finished in time. */
  readonly outcome: FollowOutcome;
  readonly rollouts: readonly FollowedRollout[];
  readonly elapsedMs: number;
}

/** The services of an apply whose writes started a rollout the ledger references. */
export function startedRollouts(resources: readonly ResourceResult[]): FollowedService[] {
  return resources.flatMap((resource) =>
    resource.kind === 'EcsService' && resource.references?.serviceDeploymentArn
      ? [{ id: resource.id, arn: resource.references.serviceDeploymentArn }]
      : [],
  );
}

export async function followRollouts(
  services: readonly FollowedService[],
  reader: Pick<RolloutReader, 'describe'>,
  io: CliIo,
  options: FollowOptions,
): Promise<FollowResult> {
  const started = options.now();
  const latest = new Map<string, Rollout>();
  const display = options.quiet ? undefined : io.tty ? new RedrawnDisplay(io) : new ChangeLines(io);
  const finish = (outcome: FollowOutcome): FollowResult => ({
    outcome,
    rollouts: services.map((service) => {
      const rollout = latest.get(service.arn);
      return { id: service.id, arn: service.arn, ...(rollout ? { rollout } : {}) };
    }),
    elapsedMs: options.now() - started,
  });
  for (;;) {
    const elapsedMs = options.now() - started;
    try {
      const read = await reader.describe(services.map((service) => service.arn));
      for (const [arn, rollout] of read) latest.set(arn, rollout);
    } catch (error) {
      // A passing read failure costs one poll; the time limit still bounds the wait.
      if (!options.quiet) io.err(`${paint(io, 'yellow', 'warning:')} rollouts not read: ${messageOf(error)}\n`);
    }
    const rows = services.map((service) => ({ ...service, rollout: latest.get(service.arn) }));
    display?.show(rows, elapsedMs);
    const finished = rows.every((row) => row.rollout !== undefined && row.rollout.result !== 'in-progress');
    if (finished) return finish(rows.every((row) => row.rollout?.result === 'succeeded') ? 'succeeded' : 'failed');
    const remaining = options.timeoutMs - (options.now() - started);
    if (remaining <= 0) return finish('timeout');
    await options.sleep(Math.min(options.pollIntervalMs, remaining));
  }
}

/** `Rollouts: 1 succeeded, 1 rolled back` (and what is still running on a timeout). */
export function followSummary(result: FollowResult, io: CliIo): string {
  const counts = new Map<string, number>();
  for (const { rollout } of result.rollouts) {
    const key = RESULT_WORDS[rollout?.result ?? 'in-progress'];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].map(([word, count]) => `${count} ${word}`).join(', ');
  const lead =
    result.outcome === 'succeeded'
      ? paint(io, 'green', 'Rollouts finished')
      : result.outcome === 'timeout'
        ? paint(io, 'yellow', `Rollouts not finished after ${duration(result.elapsedMs)}`)
        : paint(io, 'red', 'Rollouts did not all succeed');
  const failed = result.rollouts.filter(
    ({ rollout }) => rollout && rollout.result !== 'succeeded' && rollout.result !== 'in-progress',
  );
  const details = failed.map(({ id, rollout }) => `  ${id}: ${describeRollout(rollout as Rollout)}`);
  return `${[`${lead}: ${parts}`, ...details].join('\n')}\n`;
}

const RESULT_WORDS: Record<Rollout['result'], string> = {
  'in-progress': 'in progress',
  succeeded: 'succeeded',
  'rolled-back': 'rolled back',
  failed: 'failed',
  superseded: 'superseded',
};

interface Row extends FollowedService {
  readonly rollout?: Rollout;
}

/** One line per service, redrawn in place at each poll, on stderr (the terminal CliIo.tty speaks of), so stdout keeps
 * only the run and its summary. */
class RedrawnDisplay {
  private drawn = 0;

  constructor(private readonly io: CliIo) {}

  show(rows: readonly Row[], elapsedMs: number): void {
    const width = Math.max(...rows.map((row) => row.id.length));
    const lines = rows.map((row) => {
      const rollout = row.rollout;
      const state = rollout
        ? rollout.result === 'in-progress'
          ? (rollout.stage ?? rollout.status)
          : rollout.status
        : 'PENDING';
      const traffic = rollout?.productionTrafficPercent === undefined ? '' : `${rollout.productionTrafficPercent}%`;
      return [
        symbolOf(this.io, rollout),
        row.id.padEnd(width),
        (rollout?.strategy ?? '').padEnd(10),
        state.padEnd(28),
        traffic.padStart(4),
        duration(elapsedMs),
      ]
        .join('  ')
        .trimEnd();
    });
    const up = this.drawn > 0 ? `\u001b[${this.drawn}A` : '';
    this.io.err(`${up}${lines.map((line) => `\u001b[2K${line}\n`).join('')}`);
    this.drawn = lines.length;
  }
}

/** For logs and pipes: a line when a rollout's status, stage or traffic changes, and when it finishes. */
class ChangeLines {
  private readonly seen = new Map<string, string>();

  constructor(private readonly io: CliIo) {}

  show(rows: readonly Row[], elapsedMs: number): void {
    for (const row of rows) {
      if (!row.rollout) continue;
      const rollout = row.rollout;
      const key = [rollout.status, rollout.stage, rollout.productionTrafficPercent].join('|');
      if (this.seen.get(row.id) === key) continue;
      this.seen.set(row.id, key);
      const what =
        rollout.result === 'in-progress' ? describeRollout(rollout) : `finished: ${describeRollout(rollout)}`;
      this.io.out(`[${duration(elapsedMs)}] ${row.id}: ${what}\n`);
    }
  }
}

function symbolOf(io: CliIo, rollout: Rollout | undefined): string {
  switch (rollout?.result) {
    case 'succeeded':
      return paint(io, 'green', '✓');
    case 'rolled-back':
    case 'failed':
    case 'superseded':
      return paint(io, 'red', '✗');
    default:
      return '…';
  }
}

/** 75_000 → 1m15s. */
export function duration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
