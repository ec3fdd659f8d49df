/** A token bucket: the rate-limit shape AWS publishes for ECS and CloudFormation (a burst, then a steady refill).
 * The readers use one to stay below the limits; the simulator uses one to enforce them. */

export interface TokenBucketOptions {
  /** Tokens available at once (the published burst). */
  readonly capacity: number;
  /** Tokens added per second (the published sustained rate). */
  readonly refillPerSecond: number;
  /** Injectable clock in milliseconds, for tests and simulations. */
  readonly now?: () => number;
  /** Injectable sleep, for tests and simulations. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

const realSleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly now: () => number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  /** Callers waiting for a token, served in arrival order so no caller starves. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: TokenBucketOptions) {
    if (options.capacity <= 0 || options.refillPerSecond <= 0) {
      throw new RangeError('a token bucket needs a positive capacity and refill rate');
    }
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? realSleep;
    this.tokens = options.capacity;
    this.updatedAt = this.now();
  }

  private refill(): void {
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.options.capacity, this.tokens + elapsedSeconds * this.options.refillPerSecond);
    this.updatedAt = now;
  }

  /** Takes a token if one is available now; never waits. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Waits until a token is available, then takes it. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        const waitMs = ((1 - this.tokens) / this.options.refillPerSecond) * 1000;
        await this.sleep(Math.max(1, Math.ceil(waitMs)));
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Tokens available now, for reporting. */
  available(): number {
    this.refill();
    return this.tokens;
  }
}

/** Published ECS API rate limits (requests: burst, then per second), per account and region. */
export const ECS_RATE_LIMITS = {
  describeServices: { capacity: 100, refillPerSecond: 20 },
  describeTaskDefinition: { capacity: 50, refillPerSecond: 20 },
  serviceWrites: { capacity: 50, refillPerSecond: 5 },
  registerTaskDefinition: { capacity: 20, refillPerSecond: 1 },
} as const;

/** What driftless allows itself: five requests of burst and 1 % of rate below the published limits. ECS counts a call
 * when it arrives, not when it is sent, so calls sent apart can arrive together (a stalled event loop, a slow network
 * path); five tokens absorb a quarter of a second of that without a throttle. A 5,000-service sweep then stays within
 * 1.07× of the fastest the account allows (at 95 % of the rate its floor alone was 1.065×); other callers of the
 * same APIs meet a full bucket again seconds after a sweep. */
export const ECS_CLIENT_RATES = {
  describeServices: { capacity: 95, refillPerSecond: 19.8 },
  describeTaskDefinition: { capacity: 45, refillPerSecond: 19.8 },
} as const;

/** Runs `task` for each item as soon as `bucket` gives a token, with at most `limit` tasks in flight. The next token
 * is asked for while earlier calls still wait for their answers, so the bucket alone sets the pace (a worker that
 * waited for its answer before taking the next token would leave tokens unspent during the burst). Results come in
 * item order; after the first failure no further item starts, and that failure is thrown once the started ones end. */
export async function pacedMap<T, R>(
  items: readonly T[],
  bucket: TokenBucket,
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const inFlight = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  for (let index = 0; index < items.length; index++) {
    while (inFlight.size >= limit) await Promise.race(inFlight);
    if (failure) break;
    await bucket.take();
    if (failure) break;
    const running: Promise<void> = task(items[index] as T)
      .then(
        (value) => {
          results[index] = value;
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return results;
}
