/** Masks secrets in what a plan shows: values under secret-looking keys, and values shaped like a secret. Pure. */
import { looksLikeSecretName, secretShapeOf } from '../spec/checks.ts';
import type { Json, JsonObject } from './canonical.ts';
import { type FieldChange, unescapePointerSegment } from './diff.ts';

/** What the planner writes in place of a secret-looking value; write-back refuses to put it into Git. */
export const MASKED_VALUE = '(masked)';

/** Values under secret-looking keys never leave the planner in clear; `secrets` values are ARNs and stay. */
export function mask<T extends FieldChange>(changes: T[]): T[] {
  return changes.map((change) => {
    const segments = change.path.split('/').map(unescapePointerSegment);
    const underSecrets = segments.includes('secrets') || segments.includes('secretOptions');
    if (underSecrets) return change;
    const last = segments.at(-1) ?? '';
    const secretKey = looksLikeSecretName(last);
    const masked: { -readonly [K in keyof T]: T[K] } = { ...change };
    for (const side of ['before', 'after'] as const) {
      const value = change[side];
      if (value === undefined) continue;
      if (secretKey || containsSecretShape(value)) masked[side] = MASKED_VALUE;
      else if (typeof value === 'object' && value !== null) masked[side] = maskNested(value);
    }
    return masked;
  });
}

function containsSecretShape(value: Json): boolean {
  return typeof value === 'string' && secretShapeOf(value) !== undefined;
}

function maskNested(value: Json): Json {
  if (Array.isArray(value)) return value.map(maskNested);
  if (typeof value === 'object' && value !== null) {
    const result: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === 'secrets' || key === 'secretOptions') result[key] = child;
      else result[key] = looksLikeSecretName(key) || containsSecretShape(child) ? MASKED_VALUE : maskNested(child);
    }
    return result;
  }
  return containsSecretShape(value) ? MASKED_VALUE : value;
}
