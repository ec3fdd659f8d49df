/** The building blocks of the canonical form both normalizers share: plain JSON without empty values, lists of
 * objects keyed by their natural key or sorted as sets, defaults, and tags without the system ones. Pure. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Tags driftless writes on what it manages, and tags AWS reserves: neither is part of what a user declares. */
export function isSystemTag(key: string): boolean {
  return key.startsWith('driftless:') || key.startsWith('aws:');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain JSON with undefined, null, empty lists and empty maps removed: ECS answers `[]` for what was never set. */
export function prune(value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((item): item is Json => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (value instanceof Date) return value.toISOString();
  if (isObject(value)) {
    const result: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const child = prune(value[key]);
      if (child !== undefined) result[key] = child;
    }
    return Object.keys(result).length === 0 ? undefined : result;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}

export function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** Turns a list of objects into a map keyed by `keyOf`; `valueFor` picks what each key maps to. */
export function keyed(
  list: unknown,
  keyOf: (item: Record<string, unknown>) => string,
  valueFor: (item: Record<string, unknown>) => unknown = (item) => item,
  transform: (item: Record<string, unknown>) => Record<string, unknown> = (item) => item,
): Record<string, unknown> | undefined {
  // Already keyed: normalizing a canonical form again leaves it as it is.
  if (isObject(list)) return Object.keys(list).length === 0 ? undefined : list;
  const items = asArray(list).map(transform);
  if (items.length === 0) return undefined;
  const result: Record<string, unknown> = {};
  for (const item of items) result[keyOf(item)] = valueFor(item);
  return result;
}

export function sortedStrings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String).sort() : undefined;
}

export function withoutFalse(field: string) {
  return (item: Record<string, unknown>) => (item[field] === false ? without(item, [field]) : item);
}

export function without<T extends Record<string, unknown>>(value: T, keys: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

export function defaulted<T>(value: T | undefined, fallback: T): T {
  return value === undefined || value === null ? fallback : value;
}

export function tagMap(tags: unknown, keyField = 'key', valueField = 'value'): Record<string, unknown> | undefined {
  if (isObject(tags)) {
    const kept = Object.entries(tags).filter(([key]) => !isSystemTag(key));
    return kept.length === 0 ? undefined : Object.fromEntries(kept);
  }
  const entries = asArray(tags).filter((tag) => !isSystemTag(String(tag[keyField])));
  return keyed(
    entries,
    (tag) => String(tag[keyField]),
    (tag) => String(tag[valueField] ?? ''),
  );
}

export function sortedObjects(value: unknown): unknown[] | undefined {
  const items = asArray(value);
  return items.length === 0 ? undefined : [...items].sort((a, b) => stableKey(a).localeCompare(stableKey(b)));
}

function stableKey(value: unknown): string {
  return JSON.stringify(prune(value) ?? null);
}
