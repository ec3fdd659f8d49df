/** Fan-out shard workers, each a process of its own as each sweep-shard invocation is a Lambda of its own, reading
 * side by side from one simulated account over loopback: at their shares of the account's read rate the account
 * throttles none of their calls. (That workers at one run's rate are throttled is shown in process, where the timing
 * is the test's own: test/shared/reconcile/scope.test.ts; four processes started on a loaded machine may spread their
 * calls out enough that the account never sees the excess.) */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startShardWorker, sweepTogether } from '../../bench/shard-process.ts';
import { type SimServer, startSimServer } from '../../bench/sim-server.ts';
import { fleetFiles, MemoryGitSource, seedFleet } from '../../bench/support.ts';
import { ECS_RATE_LIMITS } from '../../shared/aws/token-bucket.ts';
import { planShards } from '../../shared/reconcile/scope.ts';
import { createAwsSimulator } from '../../shared/sim/index.ts';
import { loadRepository } from '../../shared/spec/repository.ts';

const SCRIPT = fileURLToPath(new URL('../../bench/shard-process.ts', import.meta.url));
// 1,200 services in 4 clusters: 30 DescribeServices per shard, 120 in all, more than the account's burst of 100.
const SERVICES = 1_200;
const CLUSTERS = 4;
const PER_FAMILY = 300;

const servers: SimServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** Four shard workers side by side, each reading at 1/`share` of one run's rates; every call counted by the server. */
async function fanOut(share: number) {
  const files = fleetFiles(SERVICES, PER_FAMILY, CLUSTERS);
  const snapshot = await loadRepository(new MemoryGitSource(files, 0), { ref: 'main' });
  const simulator = createAwsSimulator({ enforceRateLimits: true, seed: CLUSTERS });
  seedFleet(simulator, snapshot, 'bench');
  const server = await startSimServer(simulator);
  servers.push(server);
  const shards = planShards(snapshot, SERVICES / CLUSTERS);
  const args = [SERVICES, CLUSTERS, PER_FAMILY, 0, server.url, share].map(String);
  const workers = shards.map((shard) =>
    startShardWorker(SCRIPT, [...args, JSON.stringify(shard)], ['--import', 'tsx']),
  );
  // The warm-up sweeps drained the account's read bucket: the measured sweeps start with it full.
  const fanned = await sweepTogether(workers, server.url);
  return { shards: shards.length, sweeps: fanned.value, seconds: fanned.seconds, counted: fanned.counted };
}

describe('fan-out shard workers in processes of their own', () => {
  it('at their shares of the read rate: every shard in sync, no call throttled, no faster than the account allows', async () => {
    // Act
    const fanned = await fanOut(CLUSTERS);

    // Assess
    expect(fanned.shards).toBe(CLUSTERS);
    expect(fanned.sweeps.map((sweep) => sweep.status)).toEqual(['in-sync', 'in-sync', 'in-sync', 'in-sync']);
    expect(fanned.counted.calls['ECS.DescribeServices']).toBe(SERVICES / 10);
    expect(fanned.counted.throttles).toBe(0);
    expect(fanned.sweeps.map((sweep) => sweep.throttlingFailures)).toEqual([0, 0, 0, 0]);
    // 120 calls: the account's burst of 100, then 20 at 20 a second.
    const { capacity, refillPerSecond } = ECS_RATE_LIMITS.describeServices;
    expect(fanned.seconds).toBeGreaterThanOrEqual((SERVICES / 10 - capacity) / refillPerSecond - 0.1);
  }, 120_000);
});
