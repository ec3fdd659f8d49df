/** The bench's report: the figures table lines its columns up under the header, each figure is judged against its
 * goal only at the size the goal is set for, a failed scenario is a missed figure, and progress is one line a step. */
import { describe, expect, it } from 'vitest';
import { monthlyCost } from '../../bench/cost.ts';
import {
  type BenchMeasurements,
  benchFigures,
  type Figure,
  figureTable,
  judged,
  Progress,
  unjudged,
} from '../../bench/report.ts';
import type { RepositoryScale } from '../../bench/repository-scale.ts';

describe('figureTable', () => {
  it('prints a header, a rule and one line per figure, each column starting where the header does', () => {
    const figures = [
      judged('push to UpdateService', '≤ 0.30 s', '0.21 s', true),
      judged('peak RSS', '≤ 256 MB', '301 MB', false),
      unjudged('a much longer figure name than the others', '1.00 s'),
    ];
    const lines = figureTable(figures).split('\n');
    expect(lines).toHaveLength(2 + figures.length);
    const [header, rule] = lines as [string, string];
    const starts = ['goal', 'measured', 'verdict'].map((column) => header.indexOf(column));
    expect(starts[0]).toBe('a much longer figure name than the others'.length + 2);
    expect(rule).toMatch(/^─+ {2}─+ {2}─+ {2}─+$/);
    for (const [index, figure] of figures.entries()) {
      const line = lines[index + 2]!;
      expect(line.startsWith(figure.figure)).toBe(true);
      expect(line.slice(starts[0]).startsWith(figure.goal)).toBe(true);
      expect(line.slice(starts[1]).startsWith(figure.measured)).toBe(true);
      expect(line.slice(starts[2])).toBe(figure.verdict);
    }
    expect(lines.map((line) => line.slice(starts[2]))).toEqual(['verdict', expect.any(String), 'ok', 'MISSED', '—']);
  });

  it('judges a figure ok only when its goal is met, and leaves a figure without a goal unjudged', () => {
    expect(judged('x', '0', '0', true).verdict).toBe('ok');
    expect(judged('x', '0', '1', false).verdict).toBe('MISSED');
    expect(unjudged('x', '1')).toEqual({ figure: 'x', goal: '—', measured: '1', verdict: '—' });
  });
});

const sweep = (
  services: number,
  overrides: { seconds?: number; peakRssMb?: number; writes?: number; newContainerRatio?: number } = {},
) => ({
  services,
  cold: {
    seconds: 50,
    ecsReads: services / 10 + 20,
    floor: services / 10 + 20,
    tokenBucketTimeFloorSeconds: 47.5,
    ratioToTimeFloor: 50 / 47.5,
  },
  newContainer: {
    seconds: 20 * (overrides.newContainerRatio ?? 1.06),
    ecsReads: services / 10,
    floor: services / 10,
    tokenBucketTimeFloorSeconds: 20,
    ratioToTimeFloor: overrides.newContainerRatio ?? 1.06,
  },
  warm: {
    seconds: overrides.seconds ?? 1,
    ecsReads: services / 10,
    floor: services / 10,
    ratioToFloor: 1,
    tokenBucketTimeFloorSeconds: 20,
    ratioToTimeFloor: 1.05,
  },
  throttlingErrors: 4,
  throttlingFailures: 0,
  writes: overrides.writes ?? 0,
  peakRssMb: overrides.peakRssMb ?? 120,
});

const scale = (declarations: number, validateSeconds: number): RepositoryScale => ({
  declarations,
  nodeStartSeconds: 0.05,
  cliStartSeconds: 0.4,
  validate: {
    seconds: validateSeconds,
    commandSeconds: validateSeconds - 0.4,
    ratioToNodeStart: validateSeconds / 0.05,
    peakRssMb: 200,
    exitCode: 0,
  },
  plan: {
    seconds: 9,
    exitCode: 0,
    summary: 'Plan: 0 to change',
    ecsReads: 1_500,
    latencyMs: 30,
    readRateFloorSeconds: 8,
    ratioToFloor: 1.1,
  },
});

function measurements(overrides: Partial<BenchMeasurements> = {}): BenchMeasurements {
  const fixed = { lines: [], outsideFreeTier: 0.4, insideFreeTier: 0 };
  return {
    push: { services: 100, secondsToUpdateServiceSent: 0.2, calls: { 'ECS.DescribeServices': 1 } },
    manualChange: { services: 100, secondsToUpdateServiceSent: 0.1, calls: {} },
    sweeps: [sweep(100, { seconds: 9 }), sweep(1_000), sweep(5_000)],
    drifts: [{ services: 1_000, drifted: 10, seconds: 2, writes: 10, writeFloor: 10 }],
    fanOut: {
      services: 400,
      clusters: 4,
      shards: 4,
      single: { seconds: 2 },
      sharded: { seconds: 1 },
      speedUp: 2,
      throttlingErrors: 0,
      throttlingFailures: 0,
      tokenBucketTimeFloorSeconds: 1,
    },
    coldStarts: [
      {
        name: 'sweep',
        host: 'codecommit',
        bundleKb: 300,
        initMs: 90,
        meetsGoal: true,
        externalBundleKb: 50,
        externalInitMs: 40,
      },
      {
        name: 'push',
        host: 'codecommit',
        bundleKb: 500,
        initMs: 90,
        meetsGoal: false,
        externalBundleKb: 50,
        externalInitMs: 40,
      },
    ],
    repositoryScale: scale(10_000, 3),
    startTime: {
      runs: 5,
      nodeStartSeconds: 0.05,
      commands: [
        { command: 'version', medianSeconds: 0.1, ratioToNodeStart: 2, meetsGoal: true },
        { command: 'validate', medianSeconds: 0.7, ratioToNodeStart: 14, meetsGoal: false },
      ],
    },
    parsing: [
      {
        shape: 'mapping',
        keys: 1_000,
        bytes: 9_000,
        seconds: 0.01,
        microsecondsPerKey: 2,
        perKeyRatio: 1,
        outcome: 'accepted',
      },
    ],
    cost: monthlyCost({ sweepSeconds: { 100: 1, 1000: 2 }, pushSeconds: 1, fixed }),
    ...overrides,
  };
}

const byName = (figures: Figure[]) => new Map(figures.map((figure) => [figure.figure, figure]));

describe('benchFigures', () => {
  it('judges each figure against the goal set for its size, and only records the others', () => {
    const figures = byName(benchFigures(measurements()));
    expect(figures.get('push: 1 of 100 changed, to UpdateService')).toMatchObject({ goal: '≤ 0.30 s', verdict: 'ok' });
    expect(figures.get('manual change: 1 of 100, to UpdateService')?.verdict).toBe('—');
    // 9 s would miss the 1,000-service goal of 2 s; at 100 services no goal is set.
    expect(figures.get('sweep 100 in sync, warm: time')).toMatchObject({ measured: '9.00 s', verdict: '—' });
    expect(figures.get('sweep 1,000 in sync, warm: time')).toMatchObject({ goal: '≤ 2.00 s', verdict: 'ok' });
    expect(figures.get('sweep 5,000 in sync, warm: time vs token-bucket floor')?.verdict).toBe('ok');
    expect(figures.get('sweep 5,000 in sync: peak RSS (own process, heap of a 256 MB function)')).toMatchObject({
      measured: '120 MB',
      verdict: 'ok',
    });
    expect(figures.get('sweep 5,000 in sync, warm: time vs token-bucket floor')?.goal).toBe('≤ 1.07× floor');
    expect(figures.get('sweep 5,000 in sync, new container (persistent cache): time vs slower bucket')).toMatchObject({
      goal: '≤ 1.10× floor',
      measured: '21.20 s, 1.06× (floor 20.00 s); 500 reads, floor 500',
      verdict: 'ok',
    });
    expect(figures.get('sweep 5,000 in sync, truly cold (nothing cached): time vs slower bucket')?.verdict).toBe('—');
    expect(figures.get('cold start: sweep (codecommit)')?.verdict).toBe('ok');
    expect(figures.get('cold start: push (codecommit)')).toMatchObject({
      goal: '≤ 400 KB, ≤ 150 ms',
      verdict: 'MISSED',
    });
    expect(figures.get('validate 10,000 (compiled, fresh process)')?.verdict).toBe('ok');
    expect(figures.get('plan 10,000 (simulator)')?.verdict).toBe('ok');
    expect(figures.get('start: driftless --version')).toMatchObject({
      goal: '≤ 0.30 s',
      measured: '0.10 s (2.00× node -e 0, median of 5)',
      verdict: 'ok',
    });
    expect(figures.get('start: driftless validate (example)')).toMatchObject({ goal: '≤ 0.60 s', verdict: 'MISSED' });
    expect(figures.get('parse 1,000 keys, mapping')?.verdict).toBe('—');
    expect(figures.get('monthly cost, 100 services')).toMatchObject({ goal: '≤ $1.00', verdict: 'ok' });
    expect(figures.get('monthly cost, 1,000 services')?.verdict).toBe('ok');
    expect([...figures.values()].some((figure) => figure.figure.startsWith('fan-out: 400 in 4 clusters'))).toBe(true);
  });

  it('says MISSED where a measurement is past its goal, or the push never reached UpdateService', () => {
    const figures = byName(
      benchFigures(
        measurements({
          push: { services: 100, secondsToUpdateServiceSent: undefined, calls: {} },
          sweeps: [sweep(1_000, { seconds: 2.5, writes: 1 }), sweep(5_000, { peakRssMb: 300, newContainerRatio: 1.2 })],
          repositoryScale: scale(10_000, 6),
          cost: monthlyCost({
            sweepSeconds: { 100: 1, 1000: 2 },
            pushSeconds: 1,
            fixed: { lines: [], outsideFreeTier: 4, insideFreeTier: 0 },
          }),
        }),
      ),
    );
    expect(figures.get('push: 1 of 100 changed, to UpdateService')).toMatchObject({
      measured: 'not sent, 0 ECS reads',
      verdict: 'MISSED',
    });
    expect(figures.get('sweep 1,000 in sync, warm: time')?.verdict).toBe('MISSED');
    expect(figures.get('sweep 1,000 in sync: writes')).toMatchObject({ goal: '0', measured: '1', verdict: 'MISSED' });
    expect(figures.get('sweep 5,000 in sync: peak RSS (own process, heap of a 256 MB function)')).toMatchObject({
      measured: '300 MB',
      verdict: 'MISSED',
    });
    expect(figures.get('sweep 5,000 in sync, new container (persistent cache): time vs slower bucket')?.verdict).toBe(
      'MISSED',
    );
    expect(figures.get('validate 10,000 (compiled, fresh process)')?.verdict).toBe('MISSED');
    expect(figures.get('monthly cost, 100 services')?.verdict).toBe('MISSED');
    expect(figures.get('monthly cost, 1,000 services')?.verdict).toBe('ok');
  });

  it('shows the DynamoDB calls a push made before UpdateService', () => {
    const figures = byName(
      benchFigures(
        measurements({
          push: {
            services: 100,
            secondsToUpdateServiceSent: 0.29,
            calls: { 'ECS.DescribeServices': 1 },
            dynamoDbCallsBeforeUpdateService: 7,
            dynamoDbLatencyMs: 10,
          },
        }),
      ),
    );
    expect(figures.get('push: 1 of 100 changed, to UpdateService')).toMatchObject({
      measured: '0.29 s, 7 DynamoDB calls before it (10 ms each), 1 ECS reads',
      verdict: 'ok',
    });
  });

  it.each([
    { sharded: 99, throttlingErrors: 0, verdict: 'ok' },
    { sharded: 101, throttlingErrors: 0, verdict: 'MISSED' },
    { sharded: 99, throttlingErrors: 3, verdict: 'MISSED' },
  ])(
    'judges the 20,000-service fan-out: shards $sharded s against one run 100 s, $throttlingErrors throttled → $verdict',
    ({ sharded, throttlingErrors, verdict }) => {
      const fanOut = {
        services: 20_000,
        clusters: 4,
        shards: 4,
        single: { seconds: 100 },
        sharded: { seconds: sharded },
        speedUp: 100 / sharded,
        throttlingErrors,
        throttlingFailures: 0,
        tokenBucketTimeFloorSeconds: 95,
      };
      const figure = benchFigures(measurements({ fanOut })).find((f) => f.figure.startsWith('fan-out: 20,000'));
      expect(figure).toMatchObject({ goal: '≤ 1.00× one run, 0 throttled', verdict });
      expect(figure?.measured).toContain(`= ${(sharded / 100).toFixed(2)}×`);
    },
  );

  it('says MISSED where validate or plan was fast but did not succeed, with the code it exited with', () => {
    const fast = scale(10_000, 3);
    const figures = byName(
      benchFigures(
        measurements({
          repositoryScale: {
            ...fast,
            validate: { ...fast.validate, exitCode: 1 },
            plan: { ...fast.plan, exitCode: 2 },
          },
        }),
      ),
    );
    expect(figures.get('validate 10,000 (compiled, fresh process)')).toMatchObject({ verdict: 'MISSED' });
    expect(figures.get('validate 10,000 (compiled, fresh process)')?.measured).toMatch(/; exited 1$/);
    expect(figures.get('plan 10,000 (simulator)')).toMatchObject({ verdict: 'MISSED' });
    expect(figures.get('plan 10,000 (simulator)')?.measured).toMatch(/; exited 2$/);
  });

  it('records a failed scenario as a missed figure, and repository goals only at 10,000 declarations', () => {
    const figures = byName(
      benchFigures(measurements({ fanOut: { error: 'Error: boom' }, repositoryScale: scale(1_000, 6) })),
    );
    expect(figures.get('fan-out')).toMatchObject({ measured: 'FAILED: Error: boom', verdict: 'MISSED' });
    expect(figures.get('validate 1,000 (compiled, fresh process)')).toMatchObject({ goal: '—', verdict: '—' });
  });
});

describe('Progress', () => {
  it('writes one numbered line a step, ending in its seconds or in its failure', async () => {
    let written = '';
    const progress = new Progress(2, (text) => {
      written += text;
    });
    expect(await progress.step('sweep 1,000 in sync', async () => 42)).toBe(42);
    await expect(
      progress.step('fan-out', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(written).toMatch(/^\[1\/2\] sweep 1,000 in sync… \d+\.\d s\n\[2\/2\] fan-out… failed after \d+\.\d s\n$/);
  });
});
