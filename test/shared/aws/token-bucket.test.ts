import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../shared/aws/token-bucket.ts';

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
