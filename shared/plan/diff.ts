/** Field-level differences between two canonical JSON documents, as JSON pointers with before and after. Pure. */
import type { Json } from './normalize.ts';

export interface FieldChange {
  /** RFC 6901 pointer into the declaration's canonical form, e.g. /spec/taskDefinition/cpu. */
  readonly path: string;
  /** Live value; absent when the field is not set live. */
  readonly before?: Json;
  /** Declared value; absent when the declaration does not set it. */
  readonly after?: Json;
}

export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** Differences from `before` (live) to `after` (declared). Maps are compared key by key; a list that differs is
 * reported whole, since canonical lists are either sets already sorted or sequences whose order matters. */
export function diff(before: Json | undefined, after: Json | undefined, path = ''): FieldChange[] {
  if (jsonEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diff(before[key], after[key], `${path}/${escapePointerSegment(key)}`));
  }
  return [
    {
      path: path === '' ? '/' : path,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    },
  ];
}

/** True when `path` is `pointer` or lies beneath it. */
export function isUnderPointer(path: string, pointer: string): boolean {
  return path === pointer || path.startsWith(`${pointer}/`);
}

/** A copy of `value` without the field `pointer` names; unchanged when there is no such field. */
export function removePointer(value: Json, pointer: string): Json {
  const segments = pointer.split('/').slice(1).map(unescapePointerSegment);
  const remove = (node: Json, index: number): Json => {
    if (typeof node !== 'object' || node === null) return node;
    const key = segments[index]!;
    if (Array.isArray(node)) {
      const position = Number(key);
      if (!Number.isInteger(position) || position < 0 || position >= node.length) return node;
      if (index === segments.length - 1) return node.filter((_, i) => i !== position);
      return node.map((item, i) => (i === position ? remove(item, index + 1) : item));
    }
    if (!(key in node)) return node;
    const { [key]: child, ...rest } = node;
    if (index === segments.length - 1) return rest;
    return { ...rest, [key]: remove(child as Json, index + 1) };
  };
  return segments.length === 0 ? value : remove(value, 0);
}
