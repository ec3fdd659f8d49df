/**
 * The hash chain that makes the ledger tamper-evident: every entry stored in a partition (`RESOURCE#…`, `RUN#…`)
 * carries its sequence number in that partition (`chainSequence`, from 1), the hash of the entry before it
 * (`chainPrevious`; GENESIS_HASH for the first) and its own hash (`chainHash`): SHA-256 over a canonical serialization
 * of every attribute it is stored with (keys, index keys, fields, sequence and previous hash; all but `chainHash`).
 *
 * Beside each entry, in the same partition and the same transaction, a link item (`sk` = `#LINK#<sequence>`) records
 * which entry took that sequence and its hash. Links are put with `attribute_not_exists`, so two writers cannot claim
 * one sequence: the chain cannot fork, and nothing is ever updated. Link keys start with `#`, which sorts before every
 * entry key (entry keys start with a four-digit year), so the newest link is the chain's head and entry queries
 * (`sk >= ENTRY_SK_FLOOR`) never see links.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/** The attributes the chain adds: on entries sequence, previous and hash; on links sequence, hash and entry. */
export const CHAIN = {
  sequence: 'chainSequence',
  previous: 'chainPrevious',
  hash: 'chainHash',
  entry: 'chainEntry',
} as const;

export const LINK_SK_PREFIX = '#LINK#';
/** Entry sort keys are at or above this (a canonical time starts with a digit); link keys are below it. */
export const ENTRY_SK_FLOOR = '0';
/** What the first chained entry of a partition names as its previous hash; entries before it carry no chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** Prefixed to what is hashed, so a hash of this serialization cannot be mistaken for one of any later version. */
const HASH_DOMAIN = 'driftless-ledger-chain-v1\n';
const SEQUENCE_DIGITS = 12;

/** The newest link of a partition: the sequence the next entry follows, and the hash it names as previous. */
export interface ChainHead {
  readonly sequence: number;
  readonly hash: string;
}

export const EMPTY_CHAIN: ChainHead = { sequence: 0, hash: GENESIS_HASH };

export function linkSk(sequence: number): string {
  return `${LINK_SK_PREFIX}${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}

export function isLinkSk(sk: string): boolean {
  return sk.startsWith(LINK_SK_PREFIX);
}

/** The hash an item is chained with: every attribute but `chainHash`, canonically serialized. */
export function itemHash(item: Item): string {
  const names = Object.keys(item)
    .filter((name) => name !== CHAIN.hash)
    .sort();
  const canonical = JSON.stringify(names.map((name) => [name, canonicalValue(item[name] as AttributeValue)]));
  return createHash('sha256').update(HASH_DOMAIN).update(canonical).digest('hex');
}

/** One attribute value as [type, value], sets sorted and numbers normalized, so the same stored value always
 * serializes the same way whichever client wrote or read it (DynamoDB returns numbers in its own normal form). */
function canonicalValue(value: AttributeValue | Record<string, unknown>): unknown {
  const v = value as Record<string, unknown>;
  if (typeof v.S === 'string') return ['S', v.S];
  if (typeof v.N === 'string') return ['N', canonicalNumber(v.N)];
  if (typeof v.BOOL === 'boolean') return ['BOOL', v.BOOL];
  if (v.NULL !== undefined) return ['NULL', true];
  if (v.B !== undefined) return ['B', base64(v.B)];
  if (Array.isArray(v.SS)) return ['SS', [...(v.SS as string[])].sort()];
  if (Array.isArray(v.NS)) return ['NS', (v.NS as string[]).map(canonicalNumber).sort()];
  if (Array.isArray(v.BS)) return ['BS', (v.BS as unknown[]).map(base64).sort()];
  if (Array.isArray(v.L)) return ['L', (v.L as AttributeValue[]).map(canonicalValue)];
  if (v.M !== undefined && typeof v.M === 'object' && v.M !== null) {
    const map = v.M as Record<string, AttributeValue>;
    return [
      'M',
      Object.keys(map)
        .sort()
        .map((key) => [key, canonicalValue(map[key] as AttributeValue)]),
    ];
  }
  return ['?', JSON.stringify(v)];
}

function canonicalNumber(text: string): string {
  const number = Number(text);
  return Number.isFinite(number) ? String(number) : text.trim();
}

/** Binary as the SDK gives it (bytes) or as a stream record carries it (base64 text). */
function base64(value: unknown): string {
  if (typeof value === 'string') return value;
  return Buffer.from(value as Uint8Array).toString('base64');
}

/** `item` chained after `head`: the entry to store (with sequence, previous and hash), its link, and the new head. */
export function chainAfter(item: Item, head: ChainHead): { entry: Item; link: Item; head: ChainHead } {
  const sequence = head.sequence + 1;
  const unhashed: Item = {
    ...item,
    [CHAIN.sequence]: { N: String(sequence) },
    [CHAIN.previous]: { S: head.hash },
  };
  const hash = itemHash(unhashed);
  const entry: Item = { ...unhashed, [CHAIN.hash]: { S: hash } };
  const link: Item = {
    pk: item.pk as AttributeValue,
    sk: { S: linkSk(sequence) },
    [CHAIN.sequence]: { N: String(sequence) },
    [CHAIN.hash]: { S: hash },
    [CHAIN.entry]: item.sk as AttributeValue,
  };
  return { entry, link, head: { sequence, hash } };
}

/** The head a link item records; undefined when it is not a well-formed link. */
export function headOfLink(link: Item | undefined): ChainHead | undefined {
  const sequence = Number(link?.[CHAIN.sequence]?.N);
  const hash = link?.[CHAIN.hash]?.S;
  if (!Number.isSafeInteger(sequence) || sequence < 1 || hash === undefined) return undefined;
  return { sequence, hash };
}

/** Every attribute a link item has: the break-glass policy must let a pause write its link. */
export const LINK_ATTRIBUTES = ['pk', 'sk', CHAIN.sequence, CHAIN.hash, CHAIN.entry] as const;
/** Every attribute the chain adds to an entry. */
export const ENTRY_CHAIN_ATTRIBUTES = [CHAIN.sequence, CHAIN.previous, CHAIN.hash] as const;
