/** What was last applied to a resource, as the resource itself records it, and how a difference is told apart: a Git
 * change not yet applied (pending) or a change made outside Git (drift). The record rides on tags driftless writes
 * anyway (a service's TagResource after UpdateService, a stack's change-set tags), so reading it costs no call. */
import { createHash } from 'node:crypto';
import type { Json } from './canonical.ts';
import type { LiveResource } from './live-state.ts';

/** The tag holding the commit of the last apply (with `driftless:desired`, the record of what was applied). */
export const COMMIT_TAG_KEY = 'driftless:commit';
/** The tag holding the hash of the canonical desired state driftless last applied. */
export const DESIRED_TAG_KEY = 'driftless:desired';

/** Why a resource differs from Git: `pending` a Git change not applied yet (applied whatever the drift policy),
 * `drift` Git unchanged since the last apply while live changed (the drift policy decides), `unrecorded` no record
 * to compare with (a resource applied before records existed, or tags removed by hand: judged as drift on sweeps). */
export type ChangeOrigin = 'pending' | 'drift' | 'unrecorded';

export interface AppliedRecord {
  readonly commitId?: string;
  readonly desiredHash?: string;
}

/** A short, stable hash of a canonical desired state: keys sorted, so the same state always hashes the same. */
export function desiredHashOf(desired: Json): string {
  return createHash('sha256').update(stableJson(desired)).digest('hex').slice(0, 20);
}

function stableJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, Json>)[key]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The record a live resource carries: a service's tags (`tags[].key/value`), a stack's tags (`Tags[].Key/Value`). */
export function appliedRecordOf(live: LiveResource | undefined): AppliedRecord {
  if (!live) return {};
  const tags =
    live.kind === 'EcsService'
      ? pairs(live.service.tags, 'key', 'value')
      : pairs((live.stack as Record<string, unknown>).Tags, 'Key', 'Value');
  const commitId = tags.get(COMMIT_TAG_KEY);
  const desiredHash = tags.get(DESIRED_TAG_KEY);
  return { ...(commitId ? { commitId } : {}), ...(desiredHash ? { desiredHash } : {}) };
}

function pairs(list: unknown, keyField: string, valueField: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!Array.isArray(list)) return found;
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const key = (item as Record<string, unknown>)[keyField];
    const value = (item as Record<string, unknown>)[valueField];
    if (typeof key === 'string' && typeof value === 'string') found.set(key, value);
  }
  return found;
}

/** Three-way: Git desired (its hash) against the last applied record; live differs from Git already (else no call). */
export function originOf(desiredHash: string, record: AppliedRecord): ChangeOrigin {
  if (record.desiredHash === undefined) return 'unrecorded';
  return record.desiredHash === desiredHash ? 'drift' : 'pending';
}
