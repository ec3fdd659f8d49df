/** Small helpers every layer uses: stable ordering, bounded concurrency, SDK objects as JSON, the managed-by tag. */

/** The tag driftless writes on everything it manages, valued with the installation id. */
export const MANAGED_BY_TAG_KEY = 'driftless:managed-by';

/** Code-unit order, so listings and plans are the same on every machine whatever its locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Maps `items` with at most `limit` calls in flight; stops starting new ones after the first failure. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && nextIndex < items.length) {
      const index = nextIndex++;
      try {
        results[index] = await map(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** An SDK object as JSON: Dates become ISO strings, undefined members are dropped. */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) result[key] = toJson(child);
    }
    return result;
  }
  return value;
}

export function toJsonRecord(value: object): Record<string, unknown> {
  return toJson(value) as Record<string, unknown>;
}

/** Promise.all that waits for every promise before rejecting with the first failure, so nothing started alongside is
 * still running (still writing) when the caller handles the error. */
export async function together<T extends readonly unknown[] | []>(
  values: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = (await Promise.allSettled(values)) as PromiseSettledResult<unknown>[];
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [P in keyof T]: Awaited<T[P]>;
  };
}
