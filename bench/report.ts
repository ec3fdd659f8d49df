/** What `npm run bench` reports: one line of progress per scenario on stderr, and at the end one table of figures
 * (figure, goal, measured, verdict) built from the measurements, with the goals the issue sets. */
import { COLD_START_GOAL, type ColdStart } from './cold-start.ts';
import { COST_GOALS, type monthlyCost } from './cost.ts';
import type { ParseMeasurement } from './parse.ts';
import type { RepositoryScale } from './repository-scale.ts';
import { START_TIME_GOAL, type StartTime } from './start-time.ts';

export interface Figure {
  readonly figure: string;
  /** What the figure is held to, or '—' where it is only measured. */
  readonly goal: string;
  readonly measured: string;
  readonly verdict: 'ok' | 'MISSED' | '—';
}

/** A figure held to a goal; `ok` is whether the measurement meets it. */
export function judged(figure: string, goal: string, measured: string, ok: boolean): Figure {
  return { figure, goal, measured, verdict: ok ? 'ok' : 'MISSED' };
}

/** A figure measured for the record: no goal, so no verdict. */
export function unjudged(figure: string, measured: string): Figure {
  return { figure, goal: '—', measured, verdict: '—' };
}

/** Judged only when `applies` (a goal set for one size), else recorded like any other measurement. */
function judgedAt(applies: boolean, figure: string, goal: string, measured: string, ok: boolean): Figure {
  return applies ? judged(figure, goal, measured, ok) : unjudged(figure, measured);
}

const HEADER = { figure: 'figure', goal: 'goal', measured: 'measured', verdict: 'verdict' } as const;
const COLUMNS = ['figure', 'goal', 'measured', 'verdict'] as const;

/** The table, each column as wide as its widest cell, a rule under the header; the last column is not padded. */
export function figureTable(figures: readonly Figure[]): string {
  const rows = [HEADER, ...figures];
  const widths = COLUMNS.map((column) => Math.max(...rows.map((row) => [...row[column]].length)));
  const line = (row: Figure | typeof HEADER) =>
    COLUMNS.map((column, index) => (index === COLUMNS.length - 1 ? row[column] : row[column].padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(HEADER), rule, ...figures.map(line)].join('\n');
}

const count = (value: number) => value.toLocaleString('en-US');
/** Said only when a command the bench times did not succeed, with the code it exited with. */
const exitNote = (exitCode: number) => (exitCode === 0 ? '' : `; exited ${exitCode}`);
const seconds = (value: number | undefined) => (value === undefined ? 'not sent' : `${value.toFixed(2)} s`);
const times = (value: number) => `${value.toFixed(2)}×`;
const usd = (value: number) => `$${value.toFixed(2)}`;

/** One line on stderr per scenario, `[3/10] sweep 1,000 in sync… 12.3 s`: stdout stays for the table. */
export class Progress {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly write: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  async step<T>(label: string, run: () => Promise<T>): Promise<T> {
    this.done += 1;
    this.write(`[${this.done}/${this.total}] ${label}… `);
    const start = performance.now();
    const elapsed = () => `${((performance.now() - start) / 1000).toFixed(1)} s`;
    try {
      const value = await run();
      this.write(`${elapsed()}\n`);
      return value;
    } catch (error) {
      this.write(`failed after ${elapsed()}\n`);
      throw error;
    }
  }
}

/** The measurements the figures are read from: the shapes bench/run.ts records in bench/results/latest.json. */
interface Calls {
  readonly calls: Readonly<Record<string, number>>;
}
interface Latency extends Calls {
  readonly services: number;
  readonly secondsToUpdateServiceSent: number | undefined;
}
export interface BenchMeasurements {
  readonly push: Latency & {
    /** DynamoDB calls (ledger, lock, applied commit) sent before UpdateService, each taking dynamoDbLatencyMs. */
    readonly dynamoDbCallsBeforeUpdateService?: number;
    readonly dynamoDbLatencyMs?: number;
  };
  readonly manualChange: Latency;
  readonly sweeps: readonly {
    readonly services: number;
    /** Nothing cached anywhere: every task definition is described. */
    readonly cold: SweepRun;
    /** A new function container: task definitions from the persistent cache, nothing in memory. */
    readonly newContainer: SweepRun;
    readonly warm: SweepRun & { readonly ratioToFloor: number };
    readonly throttlingErrors: number;
    readonly throttlingFailures: number;
    readonly writes: number;
    /** Peak RSS of the process that ran the sweeps (bench/sweep-process.ts, fresh and bundled, under the V8 limits of a
     * 256 MB function), the simulated account in another process (bench/sim-server.ts). */
    readonly peakRssMb: number;
  }[];
  readonly drifts: readonly {
    readonly services: number;
    readonly drifted: number;
    readonly seconds: number;
    readonly writes: number;
    readonly writeFloor: number;
  }[];
  readonly fanOut:
    | { readonly error: string }
    | {
        readonly services: number;
        readonly clusters: number;
        readonly shards: number;
        readonly single: { readonly seconds: number };
        readonly sharded: { readonly seconds: number };
        readonly speedUp: number;
        readonly throttlingErrors: number;
        readonly throttlingFailures: number;
        readonly tokenBucketTimeFloorSeconds: number;
      };
  readonly coldStarts: readonly ColdStart[];
  readonly repositoryScale: RepositoryScale;
  readonly startTime: StartTime;
  readonly parsing: readonly ParseMeasurement[];
  readonly cost: ReturnType<typeof monthlyCost>;
}

interface SweepRun {
  readonly seconds: number;
  readonly ecsReads: number;
  /** The fewest ECS reads the sweep could make. */
  readonly floor: number;
  /** What the published token buckets allow for the calls made, the slower bucket setting the pace. */
  readonly tokenBucketTimeFloorSeconds: number;
  readonly ratioToTimeFloor: number;
}

/** Below the published burst the bucket costs nothing; a time ratio only means something past it. */
const versusBucket = (run: SweepRun) =>
  run.tokenBucketTimeFloorSeconds > 1
    ? `${seconds(run.seconds)}, ${times(run.ratioToTimeFloor)} (floor ${seconds(run.tokenBucketTimeFloorSeconds)}); ${run.ecsReads} reads, floor ${run.floor}`
    : `${seconds(run.seconds)}, within the published burst; ${run.ecsReads} reads, floor ${run.floor}`;

const ecsReads = (run: Calls) =>
  (run.calls['ECS.DescribeServices'] ?? 0) + (run.calls['ECS.DescribeTaskDefinition'] ?? 0);

/** Shards side by side share the account's read rate: at 20,000 services (issue 18) they must take no longer than
 * one run (sharded / single ≤ 1.00) and be throttled not once; smaller fleets are shown, not judged. */
function fanOutFigure(fan: BenchMeasurements['fanOut']): Figure {
  if ('error' in fan) return judged('fan-out', 'runs', `FAILED: ${fan.error}`, false);
  const ratio = fan.sharded.seconds / fan.single.seconds;
  const label = `fan-out: ${count(fan.services)} in ${fan.clusters} clusters, ${fan.shards} shards`;
  const measured = `shards ${seconds(fan.sharded.seconds)} / one run ${seconds(fan.single.seconds)} = ${times(ratio)} (floor ${seconds(fan.tokenBucketTimeFloorSeconds)}), throttled calls: ${fan.throttlingFailures} failed, ${fan.throttlingErrors} retried`;
  if (fan.services < 20_000) return unjudged(label, measured);
  return judged(
    label,
    '≤ 1.00× one run, 0 throttled',
    measured,
    ratio <= 1 && fan.throttlingErrors === 0 && fan.throttlingFailures === 0,
  );
}

/** Every figure the bench measures, each against its goal where issue 18 sets one for that size. */
export function benchFigures(m: BenchMeasurements): Figure[] {
  const figures: Figure[] = [
    judged(
      `push: 1 of ${count(m.push.services)} changed, to UpdateService`,
      '≤ 0.30 s',
      [
        seconds(m.push.secondsToUpdateServiceSent),
        ...(m.push.dynamoDbCallsBeforeUpdateService === undefined
          ? []
          : [
              `${m.push.dynamoDbCallsBeforeUpdateService} DynamoDB calls before it (${m.push.dynamoDbLatencyMs} ms each)`,
            ]),
        `${ecsReads(m.push)} ECS reads`,
      ].join(', '),
      (m.push.secondsToUpdateServiceSent ?? Number.POSITIVE_INFINITY) <= 0.3,
    ),
    unjudged(
      `manual change: 1 of ${count(m.manualChange.services)}, to UpdateService`,
      `${seconds(m.manualChange.secondsToUpdateServiceSent)}, ${ecsReads(m.manualChange)} ECS reads`,
    ),
  ];
  for (const sweep of m.sweeps) {
    const name = `sweep ${count(sweep.services)} in sync`;
    const at1000 = sweep.services === 1_000;
    const at5000 = sweep.services === 5_000;
    figures.push(
      unjudged(`${name}, truly cold (nothing cached): time vs slower bucket`, versusBucket(sweep.cold)),
      // Issue 18's cold sweep is a cold function: a new container whose task definitions the persistent cache holds.
      judgedAt(
        at5000,
        `${name}, new container (persistent cache): time vs slower bucket`,
        '≤ 1.10× floor',
        versusBucket(sweep.newContainer),
        sweep.newContainer.ratioToTimeFloor <= 1.1,
      ),
      judgedAt(at1000, `${name}, warm: time`, '≤ 2.00 s', seconds(sweep.warm.seconds), sweep.warm.seconds <= 2),
      judgedAt(
        at1000,
        `${name}, warm: ECS reads`,
        '≤ 1.05× floor',
        `${sweep.warm.ecsReads} reads, floor ${sweep.warm.floor} (${times(sweep.warm.ratioToFloor)})`,
        sweep.warm.ratioToFloor <= 1.05,
      ),
      judgedAt(
        at5000,
        `${name}, warm: time vs token-bucket floor`,
        '≤ 1.07× floor',
        versusBucket(sweep.warm),
        sweep.warm.ratioToTimeFloor <= 1.07,
      ),
      judgedAt(at1000, `${name}: writes`, '0', String(sweep.writes), sweep.writes === 0),
      judgedAt(
        at5000,
        `${name}: throttled calls failed`,
        '0',
        `${sweep.throttlingFailures} (${sweep.throttlingErrors} retried)`,
        sweep.throttlingFailures === 0,
      ),
      judgedAt(
        at5000,
        `${name}: peak RSS (own process, heap of a 256 MB function)`,
        '≤ 256 MB',
        `${sweep.peakRssMb.toFixed(0)} MB`,
        sweep.peakRssMb <= 256,
      ),
    );
  }
  for (const drift of m.drifts)
    figures.push(
      unjudged(
        `sweep ${count(drift.services)}, ${drift.drifted} drifted`,
        `${seconds(drift.seconds)}, ${drift.writes} writes, floor ${drift.writeFloor}`,
      ),
    );
  figures.push(fanOutFigure(m.fanOut));
  for (const start of m.coldStarts)
    figures.push(
      judged(
        `cold start: ${start.name} (${start.host})`,
        `≤ ${COLD_START_GOAL.bundleKb} KB, ≤ ${COLD_START_GOAL.initMs} ms`,
        `${start.bundleKb.toFixed(0)} KB, ${start.initMs.toFixed(0)} ms (SDK external: ${start.externalBundleKb.toFixed(0)} KB, ${start.externalInitMs.toFixed(0)} ms)`,
        start.meetsGoal,
      ),
    );
  for (const start of m.startTime.commands)
    figures.push(
      judged(
        `start: driftless ${start.command === 'validate' ? 'validate (example)' : `--${start.command}`}`,
        `≤ ${seconds(START_TIME_GOAL[start.command])}`,
        `${seconds(start.medianSeconds)} (${times(start.ratioToNodeStart)} node -e 0, median of ${m.startTime.runs})`,
        start.meetsGoal,
      ),
    );
  const scale = m.repositoryScale;
  const at10000 = scale.declarations === 10_000;
  figures.push(
    judgedAt(
      at10000,
      `validate ${count(scale.declarations)} (compiled, fresh process)`,
      '≤ 5.00 s, ≤ 300 MB',
      `${seconds(scale.validate.seconds)}, ${scale.validate.peakRssMb.toFixed(0)} MB (${times(scale.validate.ratioToNodeStart)} node start; the command ${seconds(scale.validate.commandSeconds)})${exitNote(scale.validate.exitCode)}`,
      // A validate that refused the repository was fast at the wrong thing: it fails the goal whatever its time.
      scale.validate.exitCode === 0 && scale.validate.seconds <= 5 && scale.validate.peakRssMb <= 300,
    ),
    judgedAt(
      at10000,
      `plan ${count(scale.declarations)} (simulator)`,
      '≤ 15.00 s',
      `${seconds(scale.plan.seconds)}, ${scale.plan.ecsReads} ECS reads at ${scale.plan.latencyMs} ms, unpaced; on a real account the read floor is ${seconds(scale.plan.readRateFloorSeconds)}${exitNote(scale.plan.exitCode)}`,
      // The simulator holds the fleet as declared: anything but "in sync" (exit 0) is a wrong plan, not a fast one.
      scale.plan.exitCode === 0 && scale.plan.seconds <= 15,
    ),
  );
  for (const parse of m.parsing)
    figures.push(
      unjudged(
        `parse ${count(parse.keys)} keys, ${parse.shape}`,
        `${parse.seconds.toFixed(3)} s, ${parse.microsecondsPerKey.toFixed(1)} µs/key (${times(parse.perKeyRatio)} per key), ${parse.outcome}`,
      ),
    );
  const cost = m.cost;
  for (const [label, at, goal] of [
    ['100 services', cost.services100, COST_GOALS.services100],
    ['1,000 services', cost.services1000, COST_GOALS.services1000],
  ] as const)
    figures.push(
      judged(
        `monthly cost, ${label}`,
        `≤ ${usd(goal)}`,
        `${usd(at.total)} (fixed ${usd(at.fixed.outsideFreeTier)} + requests ${usd(at.perRequest.outsideFreeTier.total)}; free tier ${usd(at.totalInsideFreeTier)}; prices of ${cost.pricesAsOf})`,
        at.total <= goal,
      ),
    );
  for (const [name, option] of Object.entries(cost.deployments ?? {}))
    if (name !== 'default')
      figures.push(
        unjudged(
          `monthly cost, option ${name} adds`,
          `${usd(option.addsOutsideFreeTier)} (free tier ${usd(option.addsInsideFreeTier)})`,
        ),
      );
  return figures;
}
