import { describe, expect, it } from 'vitest';
import { pacedMap, TokenBucket } from '../../../shared/aws/token-bucket.ts';

function virtualClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (milliseconds: number) => {
      now += milliseconds;
    },
    elapsed: () => now,
  };
}

describe('TokenBucket', () => {
  it('allows a burst of `capacity` at once, then refuses', () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: clock.now, sleep: clock.sleep });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  });

  it('paces callers past the burst at the refill rate', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 5, now: clock.now, sleep: clock.sleep });
    await Promise.all(Array.from({ length: 30 }, () => bucket.take()));
    // 10 at once, 20 more at 5 per second: 4 seconds.
    expect(clock.elapsed()).toBeGreaterThanOrEqual(4000);
    expect(clock.elapsed()).toBeLessThan(4100);
  });

  it('never holds more than its capacity however long it idles', () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 100, now: clock.now, sleep: clock.sleep });
    void clock.sleep(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('refuses a bucket that could never give a token', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
  });
});

describe('pacedMap', () => {
  /** A task per item that stays in flight until released; records how many were in flight at most. */
  function gatedTasks() {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const state = { inFlight: 0, most: 0, started: [] as number[], release: () => open() };
    const task = async (item: number) => {
      state.started.push(item);
      state.inFlight += 1;
      state.most = Math.max(state.most, state.inFlight);
      await gate;
      state.inFlight -= 1;
      return item * 2;
    };
    return { state, task };
  }

  it('starts a task for every token available without waiting for earlier answers, results in item order', async () => {
    // Prepare
    const clock = virtualClock();
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, now: clock.now, sleep: clock.sleep });
    const { state, task } = gatedTasks();

    // Act
    const mapped = pacedMap([1, 2, 3, 4, 5, 6, 7], bucket, 50, task);
    await new Promise((resolve) => setImmediate(resolve));
    const startedBeforeAnyAnswer = [...state.started];
    state.release();

    // Assess: the burst of 5 is spent at once, and the last two wait for the refill.
    expect(startedBeforeAnyAnswer).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(clock.elapsed()).toBeGreaterThanOrEqual(2000);
    expect(await mapped).toEqual([2, 4, 6, 8, 10, 12, 14]);
  });

  it('keeps at most `limit` tasks in flight', async () => {
    // Prepare
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 100 });
    const { state, task } = gatedTasks();

    // Act
    const mapped = pacedMap([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], bucket, 3, task);
    await new Promise((resolve) => setImmediate(resolve));
    const inFlightBeforeRelease = state.inFlight;
    state.release();
    await mapped;

    // Assess
    expect(inFlightBeforeRelease).toBe(3);
    expect(state.most).toBe(3);
    expect(state.started).toHaveLength(10);
  });

  it('starts nothing after a failure, and throws it once the started tasks end', async () => {
    // Prepare
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 100 });
    const started: number[] = [];
    const failure = new Error('DescribeServices failed');

    // Act
    const outcome = await pacedMap([1, 2, 3, 4, 5], bucket, 1, async (item) => {
      started.push(item);
      if (item === 2) throw failure;
      return item;
    }).catch((error: unknown) => error);

    // Assess
    expect(outcome).toBe(failure);
    expect(started).toEqual([1, 2]);
  });
});
