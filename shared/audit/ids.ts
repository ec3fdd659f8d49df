/** Identifiers of ledger entries: the entry id every entry is stored under, and the action id linking an intent to
 * its outcome. Kept apart from the DynamoDB adapter so every writer of entries can make them without it. */
import { randomBytes, randomUUID } from 'node:crypto';
import { TerminalError } from '../errors.ts';

/** `time` as canonical UTC ISO-8601 (24 characters, string order = time order), or undefined when it is not a time. */
export function canonicalTime(time: string): string | undefined {
  const millis = Date.parse(time);
  if (Number.isNaN(millis)) return undefined;
  const iso = new Date(millis).toISOString();
  return iso.length === 24 ? iso : undefined;
}

/** A unique, time-sortable entry id: the UTC time compacted (`20240501T120000123Z`) and 80 random bits in hex. */
export function newEntryId(time: string | Date = new Date()): string {
  const iso = typeof time === 'string' ? canonicalTime(time) : canonicalTime(time.toISOString());
  if (iso === undefined) throw new TerminalError(`not a time: ${String(time)}`);
  return `${iso.replace(/[-:.]/g, '')}-${randomBytes(10).toString('hex')}`;
}

/** Links an intent entry to its outcome entry. */
export function newActionId(): string {
  return randomUUID();
}
