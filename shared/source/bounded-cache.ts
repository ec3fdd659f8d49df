/** A bounded map for what a warm function has read of immutable Git objects (commits, trees, blobs, listings at a
 * commit): it forgets the least recently used entries first and never holds more than `capacity` weight, so a long
 * run of different commits cannot grow the function's memory. */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly weight: number }>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value`, unless it alone weighs more than the whole capacity. */
  set(key: K, value: V): void {
    const weight = this.weigh(value);
    this.delete(key);
    if (weight > this.capacity) return;
    for (const oldest of this.entries.keys()) {
      if (this.total + weight <= this.capacity) break;
      this.delete(oldest);
    }
    this.entries.set(key, { value, weight });
    this.total += weight;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }
}
