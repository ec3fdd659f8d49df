/** `npm run bench`: the reconciler's speed, API calls against their floor, memory and cost, measured on the
 * simulator with per-call latency and the published ECS token buckets enforced. Shows progress on stderr, prints one
 * table of figures (goal, measured, verdict) and writes bench/results/latest.json. `--quick` keeps to the small sizes
 * (under a minute); `--latency=N` sets ms per call; `--only=push` or `--only=fan-out:4000` runs one scenario and prints
 * its result. */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { ECS_RATE_LIMITS } from '../shared/aws/token-bucket.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import { planShards } from '../shared/reconcile/scope.ts';
import type { ReconcileDependencies } from '../shared/reconcile/types.ts';
import { type AwsSimulator, createAwsSimulator, writeCount } from '../shared/sim/index.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import { coldStarts } from './cold-start.ts';
import { monthlyCost } from './cost.ts';
import { latentDynamoDb } from './dynamodb-latency.ts';
import { parserBench } from './parse.ts';
import { benchFigures, figureTable, Progress } from './report.ts';
import { repositoryScale } from './repository-scale.ts';
import { startShardWorker, sweepTogether } from './shard-process.ts';
import { startTime } from './start-time.ts';
import { familiesOf, fleetDependencies, fleetFiles, MemoryGitSource, seedFleet, serviceYaml } from './support.ts';
import { benchScripts, startSimServerProcess, sweepInSync } from './sweep-in-sync.ts';

// The bench validates as the CLI does: against the repository's resource specification index.
provideResourceSpec(() => readFileSync(resourceSpecFile()));

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const LATENCY_MS = Number(args.find((arg) => arg.startsWith('--latency='))?.split('=')[1] ?? 30);

/** What each ledger and lock call costs in the push figure: a DynamoDB request in the same region. */
const DYNAMODB_LATENCY_MS = 10;

const request = { repository: 'bench', branch: 'main', installationId: 'bench' } as const;
/** The SDK's default attempts per call. */
const MAX_ATTEMPTS = 10;

interface Fleet {
  readonly simulator: AwsSimulator;
  readonly source: MemoryGitSource;
  readonly deps: ReconcileDependencies;
  readonly families: number;
  /** Throttled calls seen (each retried), and those that failed after every retry. */
  throttles: number;
  throttlingFailures: number;
  /** Throttled calls by API, and the seconds since the fleet was made when each API was first throttled. */
  throttlesByApi: Record<string, number>;
  /** When the first UpdateService of the current run was sent. */
  updateSentAt?: number;
  /** Called as the first UpdateService of the current run is sent. */
  onUpdateService?: () => void;
}

async function fleet(count: number, clusters = 1, servicesPerFamily = 5): Promise<Fleet> {
  const files = fleetFiles(count, servicesPerFamily, clusters);
  const source = new MemoryGitSource(files, LATENCY_MS);
  const blobCache = new Map<string, string>();
  const simulator = createAwsSimulator({ latencyMs: LATENCY_MS, enforceRateLimits: true, seed: count });
  const snapshot = await loadRepository(new MemoryGitSource(files, 0), { ref: 'main', blobCache });
  seedFleet(simulator, snapshot, request.installationId);
  const state: Fleet = {
    simulator,
    source,
    families: familiesOf(snapshot),
    throttles: 0,
    throttlingFailures: 0,
    throttlesByApi: {},
    deps: fleetDependencies(simulator, source, blobCache),
  };
  // Count throttling the client saw, and note when UpdateService goes out (the push latency's end point).
  const send = simulator.ecs.send.bind(simulator.ecs) as (command: unknown) => Promise<unknown>;
  (simulator.ecs as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if ((command as { constructor: { name: string } }).constructor.name === 'UpdateServiceCommand') {
      if (state.updateSentAt === undefined) state.onUpdateService?.();
      state.updateSentAt ??= performance.now();
    }
    // The SDK's own retry strategy does not run beneath the simulator's mock, so it is played here: a throttled
    // call is counted and retried with backoff, as the adaptive retry mode would; only exhausted retries fail.
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(command);
      } catch (error) {
        if ((error as Error).name !== 'ThrottlingException') throw error;
        state.throttles += 1;
        const api = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
        state.throttlesByApi[api] = (state.throttlesByApi[api] ?? 0) + 1;
        if (attempt >= MAX_ATTEMPTS) {
          state.throttlingFailures += 1;
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt) * Math.random()));
      }
    }
  };
  return state;
}

function callsOf(simulator: AwsSimulator): Record<string, number> {
  return Object.fromEntries(Object.entries(simulator.calls).filter(([, count]) => count > 0));
}

function writesOf(calls: Record<string, number>): number {
  return writeCount(calls);
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/** Seconds the published DescribeServices bucket needs for `calls` requests: the burst is free, the rest at 20/s. */
function describeServicesTimeFloor(calls: number): number {
  const { capacity, refillPerSecond } = ECS_RATE_LIMITS.describeServices;
  return Math.max(0, calls - capacity) / refillPerSecond + LATENCY_MS / 1000;
}

/** Runs one reconcile with the call counts reset: how long until its first UpdateService went out, and in all. */
async function timedToUpdateService(state: Fleet, run: () => ReturnType<typeof reconcile>) {
  state.simulator.resetCalls();
  state.updateSentAt = undefined;
  const start = performance.now();
  const result = await run();
  const total = (performance.now() - start) / 1000;
  return {
    status: result.status,
    secondsToUpdateServiceSent: state.updateSentAt === undefined ? undefined : (state.updateSentAt - start) / 1000,
    secondsTotal: total,
    calls: callsOf(state.simulator),
  };
}

/** A push changing one service of `count`, with the ledger, lock and applied-commit record shaped like DynamoDB at
 * DYNAMODB_LATENCY_MS per call: timed to UpdateService sent, with the DynamoDB calls made before it. */
async function push(count: number) {
  const fleetState = await fleet(count);
  const dynamo = latentDynamoDb(DYNAMODB_LATENCY_MS);
  const state: Fleet = {
    ...fleetState,
    deps: { ...fleetState.deps, ledger: dynamo.ledger, lock: dynamo.lock, appliedCommits: dynamo.appliedCommits },
  };
  await reconcile({ ...request, trigger: 'schedule' }, state.deps);
  const before = state.source.head();
  const files = new Map(before.files);
  files.set('services/svc-7.yaml', serviceYaml(7, 'family-1', '1.0.1'));
  const commit = state.source.commit(files);
  dynamo.calls.reset();
  let beforeUpdateService: string[] = [];
  fleetState.onUpdateService = () => {
    beforeUpdateService = [...dynamo.calls.sent];
  };
  const run = await timedToUpdateService(fleetState, () =>
    reconcile({ ...request, trigger: 'push', eventCommitId: commit, changedSince: before.id }, state.deps),
  );
  return {
    services: count,
    ...run,
    gitCalls: state.source.calls,
    dynamoDbLatencyMs: DYNAMODB_LATENCY_MS,
    dynamoDbCallsBeforeUpdateService: beforeUpdateService.length,
    dynamoDbCalls: dynamo.calls.sent.length,
    dynamoDbCallOrder: beforeUpdateService,
  };
}

/** A manual change answered by a targeted run (what functions/manual-change.ts starts): one service of `count`
 * scaled by hand, reconciled alone; timed from the run's start to UpdateService sent. */
async function manualChange(count: number) {
  const state = await fleet(count);
  await reconcile({ ...request, trigger: 'schedule' }, state.deps);
  state.simulator.driftService('prod', 'svc-7', (service) => {
    service.desiredCount = 1;
  });
  return {
    services: count,
    ...(await timedToUpdateService(state, () =>
      reconcile(
        {
          ...request,
          trigger: 'manual-change',
          resources: ['EcsService:prod/svc-7'],
          manualChange: {
            changedBy: 'arn:aws:iam::123456789012:role/Admin',
            apiCall: 'ecs:UpdateService',
            eventId: 'bench',
            eventTime: new Date().toISOString(),
          },
        },
        state.deps,
      ),
    )),
  };
}

async function drift(count: number, drifted: number) {
  const state = await fleet(count);
  await reconcile({ ...request, trigger: 'schedule' }, state.deps);
  for (let index = 0; index < drifted; index++) {
    state.simulator.driftService('prod', `svc-${index}`, (service) => {
      service.desiredCount = 1;
    });
  }
  state.simulator.resetCalls();
  const sweep = await timed(() => reconcile({ ...request, trigger: 'schedule' }, state.deps));
  const calls = callsOf(state.simulator);
  const writes = writesOf(calls);
  const { capacity, refillPerSecond } = ECS_RATE_LIMITS.serviceWrites;
  const writeTimeFloor = Math.max(0, drifted - capacity) / refillPerSecond;
  return {
    services: count,
    drifted,
    status: sweep.value.status,
    seconds: sweep.seconds,
    calls,
    writes,
    writeFloor: drifted,
    ratioToWriteFloor: writes / drifted,
    writeTimeFloorSeconds: writeTimeFloor,
    throttlingErrors: state.throttles,
  };
}

/** The fan-out: one sweep of `count` services in `clusters` clusters, as one run, then as one shard per cluster side
 * by side. Each is a process of its own (bench/shard-process.ts; a sweep-shard invocation is a Lambda with its own CPU)
 * reaching the simulated account (bench/sim-server.ts) over loopback with the functions' own ECS client; each shard
 * reads at an equal part of the account's rate, since ECS throttles per account and region, not per caller. */
async function fanOut(count: number, clusters: number) {
  // Fewer families than the sweep fleets: the comparison is of DescribeServices-bound sweeps, and warming 4,000
  // task-definition caches twice would only add minutes of DescribeTaskDefinition at 20/s.
  const servicesPerFamily = 50;
  const files = new MemoryGitSource(fleetFiles(count, servicesPerFamily, clusters), 0);
  const shards = planShards(await loadRepository(files, { ref: 'main' }), Math.ceil(count / clusters));
  const scripts = await benchScripts();
  const server = await startSimServerProcess(scripts.simServer, count, LATENCY_MS, [servicesPerFamily, clusters]);
  const fleetArgs = [count, clusters, servicesPerFamily, LATENCY_MS, server.url].map(String);
  const worker = (...args: string[]) => startShardWorker(scripts.shard, [...fleetArgs, ...args]);
  try {
    // Each phase starts with the account's buckets full, as sweeps minutes apart do.
    const single = await sweepTogether([worker('1')], server.url);
    const sharded = await sweepTogether(
      shards.map((shard) => worker(String(shards.length), JSON.stringify(shard))),
      server.url,
    );
    return {
      services: count,
      clusters,
      shards: shards.length,
      single: {
        seconds: single.seconds,
        status: single.value[0]?.status,
        calls: single.counted.calls,
        throttlingErrors: single.counted.throttles,
      },
      sharded: {
        seconds: sharded.seconds,
        shardSeconds: sharded.value.map((result) => result.seconds),
        statuses: sharded.value.map((result) => result.status),
        calls: sharded.counted.calls,
      },
      speedUp: single.seconds / sharded.seconds,
      throttlingErrors: sharded.counted.throttles,
      throttlingFailures: sharded.value.reduce((sum, result) => sum + result.throttlingFailures, 0),
      tokenBucketTimeFloorSeconds: describeServicesTimeFloor(Math.ceil(count / 10)),
    };
  } finally {
    server.stop();
  }
}

/** `--only=push` or `--only=fan-out[:count]`: one scenario alone, its result printed as JSON (nothing written). */
async function only(name: string): Promise<boolean> {
  const [scenario, size] = name.split(':');
  let result: unknown;
  if (scenario === 'push') result = await push(100);
  else if (scenario === 'fan-out') result = await fanOut(Number(size ?? 20_000), 4);
  else return false;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return true;
}

async function main() {
  const selected = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  if (selected !== undefined) {
    if (!(await only(selected))) throw new Error(`--only=${selected}: the scenarios are push and fan-out[:count]`);
    return;
  }
  const sizes = QUICK ? [100, 1_000] : [100, 1_000, 5_000];
  const driftSizes = QUICK ? [1, 10] : [1, 10, 100];
  const driftFleet = QUICK ? 100 : 1_000;
  process.stderr.write(
    `driftless bench — ${LATENCY_MS} ms per call, published ECS token buckets enforced${QUICK ? ', --quick' : ''}\n`,
  );
  const progress = new Progress(sizes.length + driftSizes.length + 7);
  const manualSize = QUICK ? 100 : 1_000;
  const fanSize = QUICK ? { count: 400, clusters: 4 } : { count: 20_000, clusters: 4 };
  const scaleSize = QUICK ? 1_000 : 10_000;

  const pushResult = await progress.step('push, 1 of 100 changed', () => push(100));
  const manualResult = await progress.step(`manual change, 1 of ${manualSize.toLocaleString('en-US')}`, () =>
    manualChange(manualSize),
  );
  const sweeps = [];
  for (const size of sizes)
    sweeps.push(
      await progress.step(`sweep ${size.toLocaleString('en-US')} in sync`, () => sweepInSync(size, LATENCY_MS)),
    );
  const drifts = [];
  for (const drifted of driftSizes)
    drifts.push(
      await progress.step(`sweep ${driftFleet.toLocaleString('en-US')}, ${drifted} drifted`, () =>
        drift(driftFleet, drifted),
      ),
    );
  // A scenario that fails is reported as failed, and the others still print and are written.
  const fan = await progress
    .step(`fan-out, ${fanSize.count.toLocaleString('en-US')} services in ${fanSize.clusters} clusters`, () =>
      fanOut(fanSize.count, fanSize.clusters),
    )
    .catch((error: unknown) => ({ error: `${(error as Error).name}: ${(error as Error).message}` }));
  const starts = await progress.step('cold starts, each function', () => coldStarts(QUICK ? 1 : 7));
  const scale = await progress.step(`repository of ${scaleSize.toLocaleString('en-US')}: validate and plan`, () =>
    repositoryScale(scaleSize, LATENCY_MS),
  );
  const parsing = await progress.step('parse time versus keys', () => parserBench(QUICK));
  const start = await progress.step('command start, compiled', () => startTime(QUICK ? 3 : 9));
  const cost = monthlyCost({
    sweepSeconds: { 100: sweeps[0]!.warm.seconds, 1000: sweeps[1]!.warm.seconds },
    pushSeconds: pushResult.secondsTotal,
  });

  const measurements = {
    push: pushResult,
    manualChange: manualResult,
    sweeps,
    drifts,
    fanOut: fan,
    coldStarts: starts,
    cost,
    parsing,
    repositoryScale: scale,
    startTime: start,
  };
  const figures = benchFigures(measurements);
  const results = {
    latencyMs: LATENCY_MS,
    quick: QUICK,
    measuredAt: new Date().toISOString(),
    figures,
    ...measurements,
  };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write('wrote bench/results/latest.json\n\n');
  process.stdout.write(`${figureTable(figures)}\n`);
}

await main();
