/** How a ledger entry is stored in DynamoDB: the key attributes each index reads (see dynamodb.ts for the design)
 * and the item codec, so an entry reads back exactly as written. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TerminalError } from '../errors.ts';
import { ENTRY_CHAIN_ATTRIBUTES, LINK_ATTRIBUTES } from './chain.ts';
import { intentPk, pairsIntents } from './intents.ts';
import type { EntryResult, LedgerEntry } from './ledger.ts';
import { breakGlassEntry } from './pauses.ts';

/** Results the sparse failures-by-day index holds. */
export const FAILURE_RESULTS: ReadonlySet<EntryResult> = new Set<EntryResult>(['failed', 'refused', 'rolled-back']);

/** Every key attribute the ledger adds to an entry; none of them is read back as an entry field. */
export const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'commitPk', 'dayPk', 'failureDayPk', 'pausePk', 'intentPk']);

type FieldType = 'S' | 'N' | 'BOOL' | 'JSON';

/** How each entry field is stored. Exhaustive: a field added to LedgerEntry does not compile until it is listed. */
const FIELD_TYPES = {
  entryId: 'S',
  kind: 'S',
  time: 'S',
  runId: 'S',
  trigger: 'S',
  repository: 'S',
  branch: 'S',
  commitId: 'S',
  commitAuthor: 'S',
  commitCommitter: 'S',
  pushedBy: 'S',
  changedBy: 'S',
  apiCall: 'S',
  until: 'S',
  dryRun: 'BOOL',
  actionId: 'S',
  resourceId: 'S',
  action: 'S',
  changes: 'JSON',
  result: 'S',
  errorCode: 'S',
  errorMessage: 'S',
  references: 'JSON',
  durationMs: 'N',
  summary: 'JSON',
  reason: 'S',
  recovered: 'BOOL',
} as const satisfies Record<keyof LedgerEntry, FieldType>;

const REQUIRED_FIELDS = [
  'entryId',
  'kind',
  'time',
  'runId',
  'trigger',
  'repository',
  'branch',
  'commitId',
  'dryRun',
] as const satisfies readonly (keyof LedgerEntry)[];

// ------------------------------------------------------------------------------------------------ keys

export function resourcePk(resourceId: string): string {
  return `RESOURCE#${resourceId}`;
}

/** The keys an entry is stored under; `time` must already be canonical. */
export function ledgerKeys(entry: LedgerEntry, time: string): Record<string, string> {
  const day = time.slice(0, 10);
  return {
    pk: entry.resourceId === undefined ? `RUN#${entry.runId}` : resourcePk(entry.resourceId),
    sk: `${time}#${entry.entryId}`,
    commitPk: `COMMIT#${entry.commitId}`,
    dayPk: `DAY#${day}`,
    ...(entry.result !== undefined && FAILURE_RESULTS.has(entry.result) ? { failureDayPk: `FAILDAY#${day}` } : {}),
    ...(entry.kind === 'pause' || entry.kind === 'resume' ? { pausePk: pausePk(entry.repository, entry.branch) } : {}),
    ...(pairsIntents(entry) ? { intentPk: intentPk(entry.repository, entry.branch) } : {}),
  };
}

export function pausePk(repository: string, branch: string): string {
  return `PAUSE#${repository}#${branch}`;
}

// ------------------------------------------------------------------------------------------------ item codec

export function toItem(entry: LedgerEntry, time: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(ledgerKeys(entry, time))) item[key] = { S: value };
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    const value: unknown = entry[field as keyof LedgerEntry];
    if (value === undefined) continue;
    if (type === 'S') item[field] = { S: String(value) };
    else if (type === 'N') item[field] = { N: String(value) };
    else if (type === 'BOOL') item[field] = { BOOL: Boolean(value) };
    else item[field] = { S: JSON.stringify(value) };
  }
  return item;
}

export function fromItem(item: Record<string, AttributeValue>): LedgerEntry {
  const entry: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(item)) {
    if (KEY_ATTRIBUTES.has(field)) continue;
    const type: FieldType | undefined = Object.hasOwn(FIELD_TYPES, field)
      ? FIELD_TYPES[field as keyof LedgerEntry]
      : undefined;
    if (type === undefined) continue;
    if (type === 'S' && value.S !== undefined) entry[field] = value.S;
    else if (type === 'N' && value.N !== undefined) entry[field] = Number(value.N);
    else if (type === 'BOOL' && value.BOOL !== undefined) entry[field] = value.BOOL;
    else if (type === 'JSON' && value.S !== undefined) entry[field] = JSON.parse(value.S);
    else throw new TerminalError(`ledger item ${item.pk?.S}/${item.sk?.S}: ${field} is not stored as ${type}`);
  }
  const missing = REQUIRED_FIELDS.filter((field) => entry[field] === undefined);
  if (missing.length > 0) {
    throw new TerminalError(`ledger item ${item.pk?.S}/${item.sk?.S} lacks ${missing.join(', ')}`);
  }
  return entry as unknown as LedgerEntry;
}

/** Every attribute a pause or resume item is stored with (keys and chain fields included) and every attribute of its
 * chain link (chain.ts): what the stack's pause policy allows PutItem to write (dynamodb:Attributes), so the policy
 * cannot write an entry of any other shape. */
export function breakGlassAttributes(): string[] {
  const sample = breakGlassEntry({
    kind: 'pause',
    entryId: '20260101T000000000Z-00000000000000000000',
    repository: 'r',
    branch: 'b',
    commitId: 'c',
    resourceId: 'EcsService:c/s',
    by: 'arn',
    reason: 'why',
    now: 0,
    durationMs: 1,
  });
  const stored = Object.keys(toItem(sample, new Date(0).toISOString()));
  return [...new Set([...stored, ...ENTRY_CHAIN_ATTRIBUTES, ...LINK_ATTRIBUTES])].sort();
}
