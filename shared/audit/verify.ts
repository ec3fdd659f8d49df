/**
 * Verifying one partition's hash chain (chain.ts) from the items stored in it: walks the sequence from 1 and reports
 * the first break, named for what most likely happened to the ledger: an entry `edited` (its fields no longer hash to
 * its hash, or its hash no longer matches its link), `deleted` (a sequence is missing), `reordered` (an entry moved in
 * time or to another place in the chain), or `inserted` (an entry the ledger's append did not write). Entries stored
 * before the chain existed carry no chain fields: they are the genesis boundary, counted, never a break. Pure.
 */
import { CHAIN, type ChainHead, GENESIS_HASH, type Item, isLinkSk, itemHash, LINK_SK_PREFIX } from './chain.ts';
import { IN_FLIGHT_MS } from './intents.ts';

export type BreakKind = 'edited' | 'deleted' | 'reordered' | 'inserted';

export interface ChainBreak {
  readonly kind: BreakKind;
  /** The sequence where the chain stops holding, when the break has one. */
  readonly sequence?: number;
  /** The sort key of the entry concerned. */
  readonly sk?: string;
  readonly detail: string;
}

export interface PartitionVerdict {
  /** The partition key: `RESOURCE#<resourceId>` or `RUN#<runId>`. */
  readonly partition: string;
  /** Entry items (links not counted). */
  readonly entries: number;
  /** Entries that carry chain fields. */
  readonly chained: number;
  /** Entries stored before the chain began (no chain fields): not protected by it, not a break. */
  readonly beforeChain: number;
  /** The newest link verified: record it elsewhere, and a later verify proves nothing before it changed. */
  readonly head?: ChainHead;
  /** The first break; absent when the chain holds. */
  readonly break?: ChainBreak;
}

export interface VerifyOptions {
  /** How far an entry's time may lie before its predecessor's in the chain: an entry's time is taken before its
   * append, which may wait and retry while the writer's function lives, on a clock of its own. Default IN_FLIGHT_MS. */
  readonly maxSkewMs?: number;
}

interface Chained {
  readonly item: Item;
  readonly sk: string;
  readonly sequence: number;
  readonly previous: string;
  readonly hash: string;
}

const skOf = (item: Item): string => item.sk?.S ?? '';
/** Milliseconds of an entry key's canonical time (its first 24 characters). */
const timeOf = (sk: string): number => Date.parse(sk.slice(0, 24));
/** The entry id an entry key ends with: what stays when an entry is moved to another time. */
const entryIdOf = (sk: string): string => sk.slice(sk.indexOf('#') + 1);
const short = (hash: string | undefined): string => (hash === undefined ? 'none' : `${hash.slice(0, 12)}…`);
const hasChainFields = (item: Item): boolean =>
  item[CHAIN.sequence] !== undefined || item[CHAIN.previous] !== undefined || item[CHAIN.hash] !== undefined;

function chainedOf(item: Item): Chained | undefined {
  const sequence = Number(item[CHAIN.sequence]?.N);
  const previous = item[CHAIN.previous]?.S;
  const hash = item[CHAIN.hash]?.S;
  if (!Number.isSafeInteger(sequence) || sequence < 1 || previous === undefined || hash === undefined) return undefined;
  return { item, sk: skOf(item), sequence, previous, hash };
}

/** Verifies the chain of `partition` from all its items (entries and links, any order). */
export function verifyPartition(
  partition: string,
  items: readonly Item[],
  options: VerifyOptions = {},
): PartitionVerdict {
  const maxSkewMs = options.maxSkewMs ?? IN_FLIGHT_MS;
  const entries = items.filter((item) => !isLinkSk(skOf(item))).sort((a, b) => (skOf(a) < skOf(b) ? -1 : 1));
  const withFields = entries.filter(hasChainFields);
  const unchained = entries.filter((item) => !hasChainFields(item));
  const counts = { partition, entries: entries.length, chained: withFields.length, beforeChain: unchained.length };
  const broken = (chainBreak: ChainBreak): PartitionVerdict => ({ ...counts, break: chainBreak });

  const links = new Map<number, Item>();
  for (const link of items.filter((item) => isLinkSk(skOf(item)))) {
    const sequence = Number(skOf(link).slice(LINK_SK_PREFIX.length));
    if (!Number.isSafeInteger(sequence) || sequence < 1) {
      return broken({ kind: 'inserted', sk: skOf(link), detail: 'a link item that names no sequence' });
    }
    links.set(sequence, link);
  }

  const chained: Chained[] = [];
  for (const item of withFields) {
    const parsed = chainedOf(item);
    if (!parsed) return broken({ kind: 'edited', sk: skOf(item), detail: 'its chain fields are incomplete' });
    chained.push(parsed);
  }
  const bySk = new Map(entries.map((item) => [skOf(item), item]));
  const claims = new Map<number, Chained[]>();
  for (const entry of chained) claims.set(entry.sequence, [...(claims.get(entry.sequence) ?? []), entry]);
  const last = [...claims.keys(), ...links.keys()].reduce((highest, sequence) => Math.max(highest, sequence), 0);

  let previous: Chained | undefined;
  for (let sequence = 1; sequence <= last; sequence += 1) {
    const found = checkSequence(sequence, claims.get(sequence) ?? [], links.get(sequence), previous, {
      bySk,
      chained,
      maxSkewMs,
    });
    if ('kind' in found) return broken(found);
    previous = found;
  }

  const start = chained.find((entry) => entry.sequence === 1);
  // An entry key that is not a time cannot date from before the chain either.
  const late = start && unchained.find((item) => !(timeOf(skOf(item)) <= timeOf(start.sk) + maxSkewMs));
  if (late) {
    return broken({
      kind: 'inserted',
      sk: skOf(late),
      detail:
        `an entry without chain fields, made after the chain began (${start.sk.slice(0, 24)}): written outside ` +
        "the ledger's append (by a driftless older than the chain, or forged)",
    });
  }
  return { ...counts, ...(previous ? { head: { sequence: previous.sequence, hash: previous.hash } } : {}) };
}

/** The entry at `sequence` when it holds, else the break found there. */
function checkSequence(
  sequence: number,
  claimants: readonly Chained[],
  link: Item | undefined,
  previous: Chained | undefined,
  context: { readonly bySk: Map<string, Item>; readonly chained: readonly Chained[]; readonly maxSkewMs: number },
): Chained | ChainBreak {
  const linked = link?.[CHAIN.entry]?.S;
  const at = (kind: BreakKind, sk: string | undefined, detail: string): ChainBreak => ({
    kind,
    sequence,
    ...(sk === undefined ? {} : { sk }),
    detail,
  });
  const entry = claimants[0];
  if (entry === undefined) {
    const named = linked === undefined ? undefined : context.bySk.get(linked);
    if (named) {
      return at(
        'reordered',
        linked,
        `no entry has sequence ${sequence}; the one appended there now claims ${named[CHAIN.sequence]?.N ?? 'none'}`,
      );
    }
    return at(
      'deleted',
      linked,
      linked === undefined
        ? `sequence ${sequence} is missing: its entry and its link are gone`
        : `sequence ${sequence} is missing: its link names ${linked}, which is gone`,
    );
  }
  if (claimants.length > 1) {
    const forged = claimants.find((claimant) => claimant.sk !== linked) ?? entry;
    return at(
      'inserted',
      forged.sk,
      `${claimants.length} entries claim sequence ${sequence}; its link names ${linked ?? 'none'}`,
    );
  }
  if (link === undefined) {
    return at(
      'inserted',
      entry.sk,
      `no link records sequence ${sequence}: the entry was not written by the ledger's append, or its link was deleted`,
    );
  }
  if (linked !== entry.sk) {
    const named = linked === undefined ? undefined : context.bySk.get(linked);
    if (named) {
      return at(
        'reordered',
        entry.sk,
        `sequence ${sequence} was appended as ${linked}, which now claims sequence ${named[CHAIN.sequence]?.N ?? 'none'}`,
      );
    }
    if (linked !== undefined && entryIdOf(linked) === entryIdOf(entry.sk)) {
      return at(
        'reordered',
        entry.sk,
        `moved in time: this entry was appended at ${linked.slice(0, 24)} and now says ${entry.sk.slice(0, 24)}`,
      );
    }
    return at(
      'inserted',
      entry.sk,
      `sequence ${sequence} was appended as ${linked ?? 'nothing'}, which is gone; ${entry.sk} took its place`,
    );
  }
  if (itemHash(entry.item) !== entry.hash) {
    return at('edited', entry.sk, `its stored fields no longer hash to its chain hash ${short(entry.hash)}`);
  }
  if (link[CHAIN.hash]?.S !== entry.hash) {
    return at(
      'edited',
      entry.sk,
      `its chain hash was rewritten: its link recorded ${short(link[CHAIN.hash]?.S)}, it says ${short(entry.hash)}`,
    );
  }
  const expected = previous?.hash ?? GENESIS_HASH;
  if (entry.previous !== expected) {
    const pointed = context.chained.find((other) => other !== entry && other.hash === entry.previous);
    if (pointed) {
      return at(
        'reordered',
        entry.sk,
        `it was chained after sequence ${pointed.sequence}, not after sequence ${sequence - 1}`,
      );
    }
    return at(
      sequence === 1 ? 'inserted' : 'edited',
      entry.sk,
      sequence === 1
        ? 'the first link names a previous entry: the chain was started over'
        : `it was chained after an entry hashing to ${short(entry.previous)}, but sequence ${sequence - 1} hashes to ${short(expected)}: an earlier entry was edited and re-hashed, or replaced`,
    );
  }
  if (previous && timeOf(entry.sk) < timeOf(previous.sk) - context.maxSkewMs) {
    return at(
      'reordered',
      entry.sk,
      `its time is ${Math.round((timeOf(previous.sk) - timeOf(entry.sk)) / 1000)} s before sequence ${sequence - 1}'s, more than the clock skew allowed`,
    );
  }
  return entry;
}
