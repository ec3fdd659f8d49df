/** Masks secrets in what a plan shows, with the detector the checks refuse them by (shared/spec/secrets.ts): values
 * under secret-looking names, values shaped like a secret, argument lists that carry one, and names that are one. Pure.
 * Live state is not validated, so a secret typed into the console still never reaches a plan in clear. */
import { looksLikeSecretName, secretInArguments, secretShapeOf } from '../spec/secrets.ts';
import type { Json, JsonObject } from './canonical.ts';
import { escapePointerSegment, type FieldChange, unescapePointerSegment } from './diff.ts';

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
    // A name that is itself a secret (a token used as a label key) is not repeated in the path either.
    if (segments.some((segment) => secretShapeOf(segment) !== undefined)) {
      masked.path = segments
        .map((segment) => (secretShapeOf(segment) === undefined ? escapePointerSegment(segment) : MASKED_VALUE))
        .join('/');
    }
    for (const side of ['before', 'after'] as const) {
      const value = change[side];
      if (value === undefined) continue;
      if (secretKey || containsSecret(value)) masked[side] = MASKED_VALUE;
      else if (typeof value === 'object' && value !== null) masked[side] = maskNested(value);
    }
    return masked;
  });
}

/** A string shaped like a secret, or an argument list (command, entryPoint, health check) that carries one. */
function containsSecret(value: Json): boolean {
  if (typeof value === 'string') return secretShapeOf(value) !== undefined;
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string') &&
    secretInArguments(value as string[]) !== undefined
  );
}

function maskNested(value: Json): Json {
  if (Array.isArray(value)) return containsSecret(value) ? MASKED_VALUE : value.map(maskNested);
  if (typeof value === 'object' && value !== null) {
    const result: JsonObject = {};
    // { name: DB_PASSWORD, value: … } and { key: api-token, value: … }: the name says what the value is.
    const named = [value.name, value.key].some((name) => typeof name === 'string' && looksLikeSecretName(name));
    let hidden = 0;
    for (const [key, child] of Object.entries(value)) {
      const shownKey = secretShapeOf(key) === undefined ? key : `${MASKED_VALUE} ${++hidden}`;
      if (key === 'secrets' || key === 'secretOptions') result[shownKey] = child;
      else if (looksLikeSecretName(key) || containsSecret(child) || (named && key === 'value')) {
        result[shownKey] = MASKED_VALUE;
      } else result[shownKey] = maskNested(child);
    }
    return result;
  }
  return containsSecret(value) ? MASKED_VALUE : value;
}
