/** One in-sync sweep scenario in a fresh process holding only what a function holds, so its peak RSS is the sweep's
 * own: bench/run.ts bundles it as the functions are bundled, starts bench/sim-server.ts (the simulated account, seeded,
 * in a process of its own) and runs `node <bundle> <services> <latency ms> <endpoint>`, which prints one JSON line.
 * ECS is reached with a real ECSClient over loopback HTTP, as a function reaches it. Three sweeps of the same fleet,
 * each starting with the account's buckets full: truly cold (no task definition cached anywhere), a new container
 * (task definitions in the persistent store, none in memory) and warm (that container again). Every sweep finds the
 * repository's texts and parses already cached, as the bench's sweeps always have: what is compared is the ECS reads
 * against their token-bucket floor. */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { cloudFormationClient, ecsClient } from '../shared/aws/clients.ts';
import { ECS_RATE_LIMITS } from '../shared/aws/token-bucket.ts';
import { EcsLiveReader } from '../shared/live/ecs.ts';
import { MemoryTaskDefinitionStore } from '../shared/live/task-definition-store.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import type { ReconcileDependencies } from '../shared/reconcile/types.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import {
  BUCKET_REFILL_MS,
  clientDependencies,
  endpointCalls,
  familiesOf,
  fleetFiles,
  MemoryGitSource,
} from './support.ts';

// Declarations are validated as a function validates them: against the index beside the bundle (bench/run.ts copies it).
provideResourceSpec(() => readFileSync(resourceSpecFile()));

const [countArgument, latencyArgument, endpointArgument] = process.argv.slice(2);
const COUNT = Number(countArgument);
const LATENCY_MS = Number(latencyArgument ?? 30);
if (!endpointArgument) throw new Error('usage: sweep-process <services> <latency ms> <simulator endpoint URL>');
const endpoint: string = endpointArgument;
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

/** When the current sweep sent its first DescribeServices and had its last answer: the rest is work before and after
 * the reads, which the bucket's floor does not include. */
const reads = { first: 0, last: 0 };

/** Calls still throttled after the SDK's last attempt: the server counts every throttle, not which ones the SDK gave
 * up on. */
let throttlingFailures = 0;

function watchEcsCalls(ecs: ECSClient): void {
  const send = ecs.send.bind(ecs) as (command: unknown) => Promise<unknown>;
  (ecs as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    // By class, not by constructor name: the bundle is minified.
    const describe = command instanceof DescribeServicesCommand;
    if (describe && reads.first === 0) reads.first = performance.now();
    try {
      return await send(command);
    } catch (error) {
      if ((error as Error).name === 'ThrottlingException') throttlingFailures += 1;
      throw error;
    } finally {
      if (describe) reads.last = performance.now();
    }
  };
}

/** The highest resident set size seen while `run` ran, sampled: the process's maxRSS only ever grows, so it cannot
 * tell the sweeps apart. */
async function sampledPeakRss<T>(run: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await run();
    return { value, peakRssMb: Math.max(peak, process.memoryUsage.rss()) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

function refill(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, BUCKET_REFILL_MS));
}

async function sweep(deps: ReconcileDependencies) {
  await endpointCalls(endpoint, true);
  reads.first = 0;
  const start = performance.now();
  const { value: result, peakRssMb } = await sampledPeakRss(() => reconcile(request, deps));
  const end = performance.now();
  const seconds = (end - start) / 1000;
  const counted = await endpointCalls(endpoint);
  const calls = Object.fromEntries(Object.entries(counted.calls).filter(([, count]) => count > 0));
  const ecsReads = (calls['ECS.DescribeServices'] ?? 0) + (calls['ECS.DescribeTaskDefinition'] ?? 0);
  const timeFloor = readTimeFloor(calls);
  return {
    status: result.status,
    seconds,
    calls,
    ecsReads,
    writes: counted.writes,
    throttles: counted.throttles,
    tokenBucketTimeFloorSeconds: timeFloor,
    ratioToTimeFloor: seconds / timeFloor,
    secondsBeforeReads: (reads.first - start) / 1000,
    secondsAfterReads: (end - reads.last) / 1000,
    peakRssMb,
  };
}

/** What a warm function already holds before the sweeps: the repository's texts and parses in its caches (the
 * snapshot itself let go, as a run lets its own go). */
async function warmCaches(source: MemoryGitSource) {
  const blobCache = new Map<string, string>();
  const snapshot = await loadRepository(source, { ref: 'main', blobCache });
  return { blobCache, families: familiesOf(snapshot) };
}

async function measure() {
  const baselineRssMb = process.memoryUsage.rss() / 2 ** 20;
  // The repository, answering with CodeCommit's latency. It stands in for a remote one, so its few megabytes of texts
  // are in this figure though a function would not hold them.
  const files = fleetFiles(COUNT);
  const { blobCache, families } = await warmCaches(new MemoryGitSource(files, 0));
  const source = new MemoryGitSource(files, LATENCY_MS);
  const clientOptions = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCHSIMULATED', secretAccessKey: 'simulated' },
  };
  const clients = { ecs: ecsClient(clientOptions), cloudFormation: cloudFormationClient(clientOptions) };
  watchEcsCalls(clients.ecs);
  // The persistent store answers after a round trip, as DynamoDB would.
  const store = new MemoryTaskDefinitionStore(LATENCY_MS);
  const container = (): ReconcileDependencies => {
    const deps = clientDependencies(clients, source, blobCache);
    return { ...deps, readers: { ...deps.readers!, ecs: new EcsLiveReader({ client: clients.ecs, store }) } };
  };
  const worldRssMb = process.memoryUsage.rss() / 2 ** 20;

  const cold = await sweep(container());
  const storeCallsCold = { ...store.calls };
  const newContainer = container();
  store.calls = { get: 0, put: 0 };
  await refill();
  const fresh = await sweep(newContainer);
  const storeCallsFresh = { ...store.calls };
  await refill();
  const warm = await sweep(newContainer);
  const describeServicesFloor = Math.ceil(COUNT / 10);
  const result = {
    services: COUNT,
    taskDefinitionFamilies: families,
    status: warm.status,
    cold: { ...cold, floor: describeServicesFloor + families, store: storeCallsCold },
    newContainer: { ...fresh, floor: describeServicesFloor, store: storeCallsFresh },
    warm: { ...warm, floor: describeServicesFloor, ratioToFloor: warm.ecsReads / describeServicesFloor },
    throttlingErrors: cold.throttles + fresh.throttles + warm.throttles,
    throttlingFailures,
    writes: cold.writes + fresh.writes + warm.writes,
    /** The process before anything was built (Node and the bundle's code). */
    baselineRssMb,
    /** The repository's files, their texts and parses cached, and the clients, before any sweep. */
    worldRssMb,
    /** The V8 heap limit the process ran under (Lambda sets it from the function's memory size). */
    heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  return result;
}

export type SweepMeasurement = Awaited<ReturnType<typeof measure>>;

process.stdout.write(`${JSON.stringify(await measure())}\n`);
