/** One in-sync sweep scenario in a fresh process, so its peak RSS is the sweep's own and not what earlier scenarios
 * left behind: bench/run.ts bundles it as the functions are bundled and runs `node <bundle> <services> <latency ms>`,
 * which prints one JSON line. Three sweeps of the same fleet, each starting with the account's buckets full: truly
 * cold (no task definition cached anywhere), a new container (task definitions in the persistent store, none in
 * memory) and warm (that container again). Every sweep finds the repository's texts and parses already cached, as the
 * bench's sweeps always have: what is compared is the ECS reads against their token-bucket floor. */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { ECS_RATE_LIMITS } from '../shared/aws/token-bucket.ts';
import { EcsLiveReader } from '../shared/live/ecs.ts';
import { MemoryTaskDefinitionStore } from '../shared/live/task-definition-store.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import type { ReconcileDependencies } from '../shared/reconcile/types.ts';
import { type AwsSimulator, createAwsSimulator, writeCount } from '../shared/sim/index.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import {
  familiesOf,
  fleetDependencies,
  fleetFiles,
  MemoryGitSource,
  retryThrottledEcsCalls,
  seedFleet,
} from './support.ts';

const [countArgument, latencyArgument] = process.argv.slice(2);
const COUNT = Number(countArgument);
const LATENCY_MS = Number(latencyArgument ?? 30);
const request = { repository: 'bench', branch: 'main', installationId: 'bench', trigger: 'schedule' } as const;

/** Seconds `calls` requests need from a published bucket: the burst is free, the rest at the refill rate. */
function bucketSeconds(calls: number, bucket: { capacity: number; refillPerSecond: number }): number {
  return Math.max(0, calls - bucket.capacity) / bucket.refillPerSecond;
}

/** The slower bucket sets the pace when both drain at once; one call's latency is the least any read costs. */
function readTimeFloor(calls: Record<string, number>): number {
  return (
    Math.max(
      bucketSeconds(calls['ECS.DescribeServices'] ?? 0, ECS_RATE_LIMITS.describeServices),
      bucketSeconds(calls['ECS.DescribeTaskDefinition'] ?? 0, ECS_RATE_LIMITS.describeTaskDefinition),
    ) +
    LATENCY_MS / 1000
  );
}

/** Both read buckets refill fully in this long, as between sweeps minutes apart: each sweep starts with full buckets. */
const REFILL_MS =
  Math.max(
    ECS_RATE_LIMITS.describeServices.capacity / ECS_RATE_LIMITS.describeServices.refillPerSecond,
    ECS_RATE_LIMITS.describeTaskDefinition.capacity / ECS_RATE_LIMITS.describeTaskDefinition.refillPerSecond,
  ) *
    1000 +
  500;

/** When the current sweep sent its first DescribeServices and had its last answer: the rest is work before and after
 * the reads, which the bucket's floor does not include. */
const reads = { first: 0, last: 0 };

function timeDescribeServices(simulator: AwsSimulator): void {
  const send = simulator.ecs.send.bind(simulator.ecs) as (command: unknown) => Promise<unknown>;
  (simulator.ecs as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    // By class, not by constructor name: the bundle is minified.
    const describe = command instanceof DescribeServicesCommand;
    if (describe && reads.first === 0) reads.first = performance.now();
    const answer = await send(command);
    if (describe) reads.last = performance.now();
    return answer;
  };
}

function refill(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, REFILL_MS));
}

async function sweep(simulator: AwsSimulator, deps: ReconcileDependencies) {
  simulator.resetCalls();
  reads.first = 0;
  const start = performance.now();
  const result = await reconcile(request, deps);
  const end = performance.now();
  const seconds = (end - start) / 1000;
  const calls = Object.fromEntries(Object.entries(simulator.calls).filter(([, count]) => count > 0));
  const ecsReads = (calls['ECS.DescribeServices'] ?? 0) + (calls['ECS.DescribeTaskDefinition'] ?? 0);
  const timeFloor = readTimeFloor(calls);
  return {
    status: result.status,
    seconds,
    calls,
    ecsReads,
    writes: writeCount(calls),
    tokenBucketTimeFloorSeconds: timeFloor,
    ratioToTimeFloor: seconds / timeFloor,
    secondsBeforeReads: (reads.first - start) / 1000,
    secondsAfterReads: (end - reads.last) / 1000,
  };
}

/** The fleet in the simulator, and the repository's texts parsed once (as every sweep of a warm process finds them);
 * the snapshot itself is let go, as a run lets its own go. */
async function world() {
  const files = fleetFiles(COUNT);
  const simulator = createAwsSimulator({ latencyMs: LATENCY_MS, enforceRateLimits: true, seed: COUNT });
  const blobCache = new Map<string, string>();
  const snapshot = await loadRepository(new MemoryGitSource(files, 0), { ref: 'main', blobCache });
  seedFleet(simulator, snapshot, request.installationId);
  return { files, simulator, blobCache, families: familiesOf(snapshot) };
}

async function measure() {
  const { files, simulator, blobCache, families } = await world();
  const throttling = retryThrottledEcsCalls(simulator);
  timeDescribeServices(simulator);
  const source = new MemoryGitSource(files, LATENCY_MS);
  // The persistent store answers after a round trip, as DynamoDB would.
  const store = new MemoryTaskDefinitionStore(LATENCY_MS);
  const container = (): ReconcileDependencies => {
    const deps = fleetDependencies(simulator, source, blobCache);
    return { ...deps, readers: { ...deps.readers!, ecs: new EcsLiveReader({ client: simulator.ecs, store }) } };
  };
  const worldRssMb = process.memoryUsage().rss / 2 ** 20;

  const cold = await sweep(simulator, container());
  const storeCallsCold = { ...store.calls };
  const newContainer = container();
  store.calls = { get: 0, put: 0 };
  await refill();
  const fresh = await sweep(simulator, newContainer);
  const storeCallsFresh = { ...store.calls };
  await refill();
  const warm = await sweep(simulator, newContainer);
  const describeServicesFloor = Math.ceil(COUNT / 10);
  const result = {
    services: COUNT,
    taskDefinitionFamilies: families,
    status: warm.status,
    cold: { ...cold, floor: describeServicesFloor + families, store: storeCallsCold },
    newContainer: { ...fresh, floor: describeServicesFloor, store: storeCallsFresh },
    warm: { ...warm, floor: describeServicesFloor, ratioToFloor: warm.ecsReads / describeServicesFloor },
    throttlingErrors: throttling.throttles,
    throttlingFailures: throttling.throttlingFailures,
    writes: cold.writes + fresh.writes + warm.writes,
    /** The simulator, the repository's files and their texts, before any sweep: part of the peak, not the sweep's. */
    worldRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  return result;
}

export type SweepMeasurement = Awaited<ReturnType<typeof measure>>;

process.stdout.write(`${JSON.stringify(await measure())}\n`);
