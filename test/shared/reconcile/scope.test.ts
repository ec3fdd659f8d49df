/** Shard workers share the account's ECS rates: their parts add up to what one run allows itself, and four workers
 * reading side by side at their parts are never throttled by the account's (simulated) buckets, where four workers
 * at one run's rate are. */
import { describe, expect, it } from 'vitest';
import { fleetFiles, MemoryGitSource, seedFleet } from '../../../bench/support.ts';
import { APPLY_WRITE_RATES } from '../../../shared/apply/contract.ts';
import { ECS_CLIENT_RATES } from '../../../shared/aws/token-bucket.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { planShards, shardOf, workerApplyRates, workerReadRates } from '../../../shared/reconcile/scope.ts';
import { createAwsSimulator } from '../../../shared/sim/index.ts';
import type { EcsServiceDeclaration } from '../../../shared/spec/repository.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';

describe('workerReadRates and workerApplyRates', () => {
  it.each([1, 2, 3, 4, 7])('%i workers together allow exactly what one run allows itself', (workers) => {
    const reads = workerReadRates(workers);
    const { rates, readRates } = workerApplyRates(workers);
    for (const [name, rate] of Object.entries(ECS_CLIENT_RATES)) {
      const part = reads[name as keyof typeof reads];
      expect(part.capacity * workers).toBeCloseTo(rate.capacity, 9);
      expect(part.refillPerSecond * workers).toBeCloseTo(rate.refillPerSecond, 9);
    }
    expect(readRates).toEqual(reads);
    for (const [name, rate] of Object.entries(APPLY_WRITE_RATES)) {
      const part = rates[name as keyof typeof rates];
      expect(Math.min(rate.capacity, part.capacity * workers)).toBeCloseTo(rate.capacity, 9);
      expect(part.refillPerSecond * workers).toBeCloseTo(rate.refillPerSecond, 9);
    }
  });

  it('never gives a worker less than one request of burst', () => {
    expect(workerReadRates(1_000).describeServices.capacity).toBe(1);
    expect(workerApplyRates(1_000).rates.registerTaskDefinition.capacity).toBe(1);
  });
});

describe('four shard workers reading side by side against the account buckets', () => {
  async function sweepShards(rates: ReturnType<typeof workerReadRates> | undefined) {
    // 1,200 services in 4 clusters: 30 DescribeServices per shard, 120 in all, more than the account's burst of 100.
    const files = fleetFiles(1_200, 300, 4);
    const source = new MemoryGitSource(files, 0);
    const simulator = createAwsSimulator({ enforceRateLimits: true, seed: 4 });
    const snapshot = await loadRepository(source, { ref: 'main' });
    seedFleet(simulator, snapshot, 'test');
    const shards = planShards(snapshot, 300);
    const started = performance.now();
    const reads = await Promise.allSettled(
      shards.map((shard) => {
        const reader = new EcsLiveReader({ client: simulator.ecs, ...(rates ? { rates } : {}) });
        const services = shardOf(snapshot, shard).declarations.map((declaration) => ({
          cluster: (declaration as EcsServiceDeclaration).document.metadata.cluster,
          name: (declaration as EcsServiceDeclaration).document.metadata.name,
        }));
        return reader.readServices(services);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    simulator.restore();
    return { shards: shards.length, reads, seconds, describeServices: simulator.calls['ECS.DescribeServices'] };
  }

  it('at their parts: no call throttled, 120 DescribeServices within the account rate', async () => {
    // Act
    const swept = await sweepShards(workerReadRates(4));

    // Assess
    expect(swept.shards).toBe(4);
    expect(swept.reads.map((read) => read.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(swept.describeServices).toBe(120);
    // One run's pace: 95 at once, then 19 a second.
    expect(swept.seconds).toBeGreaterThanOrEqual((120 - 95) / 19 - 0.1);
  });

  it('each at one run rate: the account throttles them', async () => {
    // Act
    const swept = await sweepShards(undefined);

    // Assess
    expect(swept.reads.some((read) => read.status === 'rejected')).toBe(true);
    const rejected = swept.reads.find((read): read is PromiseRejectedResult => read.status === 'rejected');
    expect(String(rejected?.reason?.cause?.name ?? rejected?.reason?.name)).toMatch(/Throttling/);
  });
});
