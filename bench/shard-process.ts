/** One worker of the fan-out scenario in a process of its own, as each sweep-shard invocation is its own Lambda with
 * its own CPU and event loop: bench/run.ts starts one per shard (or one for the unsharded run) against
 * bench/sim-server.ts as `node <bundle> <services> <clusters> <services per family> <latency ms> <endpoint> <workers>
 * [<shard JSON>]`. The worker sweeps once to warm its caches, prints `{"ready":true}`, sweeps again when a line arrives
 * on stdin (so the parent starts every shard at once, with the account's buckets full) and prints that sweep's result.
 * ECS is reached with the functions' own client (shared/aws/clients.ts), so throttled calls are retried by the SDK's
 * adaptive retry mode, which also slows the client down, as in production. */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { cloudFormationClient, ecsClient } from '../shared/aws/clients.ts';
import { EcsLiveReader } from '../shared/live/ecs.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import { workerReadRates } from '../shared/reconcile/scope.ts';
import type { ReconcileDependencies, Shard } from '../shared/reconcile/types.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import { BUCKET_REFILL_MS, clientDependencies, endpointCalls, fleetFiles, MemoryGitSource } from './support.ts';

/** What a worker's measured sweep answers. */
export interface ShardSweep {
  readonly seconds: number;
  readonly status: string;
  /** Calls still throttled after the SDK's last attempt. */
  readonly throttlingFailures: number;
}

/** A bench/shard-process.ts worker: resolves once its warm-up sweep is done; `go()` starts its measured sweep. */
export interface ShardWorker {
  readonly ready: Promise<void>;
  go(): Promise<ShardSweep>;
}

export function startShardWorker(
  script: string,
  args: readonly string[],
  nodeOptions: readonly string[] = [],
): ShardWorker {
  const child = spawn(process.execPath, ['--no-warnings', ...nodeOptions, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (let end = output.indexOf('\n'); end >= 0; end = output.indexOf('\n')) {
      const line = output.slice(0, end);
      output = output.slice(end + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`a fan-out worker exited (${code}) before it answered`)));
    child.once('error', reject);
  });
  const nextLine = () =>
    Promise.race([
      new Promise<string>((resolve) => {
        const line = lines.shift();
        if (line !== undefined) resolve(line);
        else waiting.push(resolve);
      }),
      exited,
    ]);
  const ready = nextLine().then(() => undefined);
  return {
    ready,
    go: async () => {
      child.stdin.write('go\n');
      const answer = JSON.parse(await nextLine()) as ShardSweep;
      child.stdin.end();
      return answer;
    },
  };
}

/** Once every worker has swept once (its task-definition cache warm, as in a worker that has swept before) and the
 * account's buckets are full again, starts all their measured sweeps at once: how long until the last ended, and the
 * calls the simulator behind `endpoint` counted meanwhile (throttled ones included). */
export async function sweepTogether(workers: readonly ShardWorker[], endpoint: string) {
  await Promise.all(workers.map((worker) => worker.ready));
  await new Promise((resolve) => setTimeout(resolve, BUCKET_REFILL_MS));
  await endpointCalls(endpoint, true);
  const start = performance.now();
  const sweeps = await Promise.all(workers.map((worker) => worker.go()));
  const seconds = (performance.now() - start) / 1000;
  const counted = await endpointCalls(endpoint);
  const calls = Object.fromEntries(Object.entries(counted.calls).filter(([, n]) => n > 0));
  return { seconds, value: sweeps, counted: { ...counted, calls } };
}

async function work(): Promise<void> {
  provideResourceSpec(() => readFileSync(resourceSpecFile()));
  const [count, clusters, perFamily, latency, endpoint, workersArgument, shardArgument] = process.argv.slice(2);
  if (!endpoint) {
    throw new Error(
      'usage: shard-process <services> <clusters> <services per family> <latency ms> <endpoint> <workers> [<shard>]',
    );
  }
  const latencyMs = Number(latency);
  const workers = Number(workersArgument ?? 1);
  const shard = shardArgument ? (JSON.parse(shardArgument) as Shard) : undefined;
  const request = { repository: 'bench', branch: 'main', installationId: 'bench', trigger: 'schedule' } as const;

  /** Calls still throttled after the SDK's last attempt (the server counts every throttle it answered). */
  let throttlingFailures = 0;

  const dependencies = async (): Promise<ReconcileDependencies> => {
    const files = fleetFiles(Number(count), Number(perFamily), Number(clusters));
    // A warm worker holds the repository's texts and parses in its caches, as the sweep bench's process does.
    const blobCache = new Map<string, string>();
    await loadRepository(new MemoryGitSource(files, 0), { ref: 'main', blobCache });
    const clientOptions = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDBENCHSIMULATED', secretAccessKey: 'simulated' },
    };
    const clients = { ecs: ecsClient(clientOptions), cloudFormation: cloudFormationClient(clientOptions) };
    const send = clients.ecs.send.bind(clients.ecs) as (command: unknown) => Promise<unknown>;
    (clients.ecs as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
      try {
        return await send(command);
      } catch (error) {
        if ((error as Error).name === 'ThrottlingException') throttlingFailures += 1;
        throw error;
      }
    };
    const deps = clientDependencies(clients, new MemoryGitSource(files, latencyMs), blobCache);
    if (workers <= 1) return deps;
    // The share the sweep-shard function gives itself from DRIFTLESS_READ_SHARE (functions/run.ts).
    return {
      ...deps,
      rateShare: workers,
      readers: { ...deps.readers!, ecs: new EcsLiveReader({ client: clients.ecs, rates: workerReadRates(workers) }) },
    };
  };

  const run = () => reconcile({ ...request, ...(shard ? { shard } : {}) }, deps);
  const deps = await dependencies();
  await run();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const start = performance.now();
  const result = await run();
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, status: result.status, throttlingFailures })}\n`);
  lines.close();
  process.exit(0);
}

const entry = process.argv[1];
if (entry && /shard-process\.(?:ts|mjs)$/.test(entry) && import.meta.url === pathToFileURL(entry).href) await work();
